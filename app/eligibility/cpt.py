"""CPT eligibility: years of experience (overlaps counted once), projects, standards across projects,
attestations per project and who may give them, and the ethics commitment.

Thresholds and accepted relations are the knowledge base's parameters; a verdict resting on a rule the
sources leave uncertain says so.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.eligibility.models import Requirement
from app.knowledge.schema import KnowledgeBase
from app.mapping.models import ProjectResult, Status


class RoleSpan(BaseModel):
    role: str
    start: str  # YYYY-MM
    end: str | None = None  # None = still in the role


class AttestationFact(BaseModel):
    name: str
    relation: str
    signed: bool = False


class CptProject(BaseModel):
    title: str
    attestations: list[AttestationFact] = Field(default_factory=list)
    analysis: ProjectResult | None = None


class CptFacts(BaseModel):
    applied_on: dt.date
    experience: list[RoleSpan] = Field(default_factory=list)
    experience_years: float | None = Field(default=None, description="A total, when no roles are given.")
    projects: list[CptProject] = Field(default_factory=list)
    ethics_agreed: bool | None = None


def _month_index(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def experience_months(roles: list[RoleSpan], applied_on: dt.date) -> tuple[int, list[str]]:
    """Calendar months covered by at least one role, up to the application month (both ends inclusive)."""
    warnings: list[str] = []
    last = applied_on.year * 12 + applied_on.month - 1
    covered: set[int] = set()
    for role in roles:
        start = _month_index(role.start)
        end = _month_index(role.end) if role.end else last
        if end > last:
            warnings.append(f"{role.role}: ends after the application date; counted up to {applied_on:%Y-%m}")
            end = last
        if start > last:
            warnings.append(f"{role.role}: starts after the application date; not counted")
            continue
        covered.update(range(start, end + 1))
    return len(covered), warnings


def _cite(kb: KnowledgeBase, parameter_id: str) -> tuple[str, bool]:
    rule, param = kb.parameters()[parameter_id]
    uncertain = param.uncertain or rule.provenance.confidence.value == "uncertain"
    return f"{rule.id} ({', '.join(param.current_provenance.sources)})", uncertain


def check_cpt(kb: KnowledgeBase, facts: CptFacts) -> tuple[list[Requirement], list[str]]:
    warnings: list[str] = []
    requirements: list[Requirement] = []

    need_years = float(kb.value("min_experience_years"))
    source, uncertain = _cite(kb, "min_experience_years")
    if facts.experience:
        months, notes = experience_months(facts.experience, facts.applied_on)
        warnings.extend(notes)
        years = months / 12
        overlap = (
            sum(
                (_month_index(r.end) if r.end else facts.applied_on.year * 12 + facts.applied_on.month - 1)
                - _month_index(r.start)
                + 1
                for r in facts.experience
            )
            - months
        )
        detail = f"{months} months ({years:.1f} years) of experience up to {facts.applied_on:%Y-%m}"
        if overlap > 0:
            detail += f"; {overlap} overlapping month(s) counted once"
        detail += f"; the minimum is {need_years:g} years."
        met = months >= need_years * 12
    elif facts.experience_years is not None:
        years = facts.experience_years
        detail = f"{years:g} years of experience stated; the minimum is {need_years:g} years."
        met = years >= need_years
    else:
        detail, met = "No experience given (list roles with start and end months).", False
    requirements.append(
        Requirement(
            id="experience",
            title=f"At least {need_years:g} years of experience in performance improvement or a related field",
            met=met,
            detail=detail,
            source=source,
            uncertain=uncertain,
        )
    )

    need_projects = int(kb.value("min_projects"))
    source, uncertain = _cite(kb, "min_projects")
    have = len(facts.projects)
    requirements.append(
        Requirement(
            id="projects",
            title=f"At least {need_projects} projects",
            met=have >= need_projects,
            detail=f"{have} project(s) listed; certprep checks for {need_projects}"
            + (" (the number is uncertain in the sources)." if uncertain else "."),
            source=source,
            uncertain=uncertain,
        )
    )

    analysed = [p for p in facts.projects if p.analysis is not None]
    if analysed:
        per_standard = int(kb.value("min_projects_per_standard"))
        source, uncertain = _cite(kb, "min_projects_per_standard")
        short = []
        for standard in kb.standards:
            count = sum(1 for p in analysed if p.analysis and p.analysis.status(standard.id) is Status.demonstrated)
            if count < per_standard:
                short.append(f"{standard.id} {standard.title} ({count} of {per_standard})")
        requirements.append(
            Requirement(
                id="standards",
                title=f"Every standard demonstrated in at least {per_standard} project(s)",
                met=not short,
                detail=("Not yet demonstrated often enough: " + "; ".join(short) + ".")
                if short
                else f"All {len(kb.standards)} standards are demonstrated across the projects.",
                source=source,
                uncertain=uncertain,
            )
        )

    accepted = {str(r) for r in kb.value("accepted_attester_relations")}  # type: ignore[union-attr]
    doubtful = {str(r) for r in kb.value("uncertain_attester_relations")}  # type: ignore[union-attr]
    need_attest = int(kb.value("min_attestations_per_project"))
    source, uncertain = _cite(kb, "min_attestations_per_project")
    relation_source, _ = _cite(kb, "accepted_attester_relations")
    problems, doubts = [], []
    for project in facts.projects:
        valid = [a for a in project.attestations if a.signed and a.relation in accepted]
        maybe = [a for a in project.attestations if a.signed and a.relation in doubtful]
        unsigned = [a for a in project.attestations if not a.signed]
        unknown = [a for a in project.attestations if a.signed and a.relation not in accepted | doubtful]
        for a in unsigned:
            warnings.append(f"{project.title}: the attestation by {a.name} is not signed yet")
        for a in unknown:
            warnings.append(
                f"{project.title}: {a.name} ({a.relation}) is not a relation ISPI names "
                f"(accepted: {', '.join(sorted(accepted))})"
            )
        if len(valid) >= need_attest:
            continue
        if len(valid) + len(maybe) >= need_attest:
            doubts.append(f"{project.title} relies on {', '.join(f'{a.name} ({a.relation})' for a in maybe)}")
        else:
            problems.append(f"{project.title} has {len(valid)} signed attestation(s) from a client or supervisor")
    met = not problems and bool(facts.projects)
    if not facts.projects:
        detail = "No projects listed."
    elif problems:
        detail = (
            f"Each project needs {need_attest} signed attestation(s) from a client or supervisor: "
            + "; ".join(problems)
            + "."
        )
    elif doubts:
        detail = "Signed, but " + "; ".join(doubts) + ": peers and colleagues appear only in unofficial sources."
    else:
        detail = "Every project has a signed attestation from a client or supervisor."
    requirements.append(
        Requirement(
            id="attestations",
            title="Signed attestations from a client or supervisor for each project",
            met=met,
            detail=detail,
            source=source if relation_source == source else f"{source}; {relation_source}",
            uncertain=uncertain or bool(doubts),
        )
    )

    source, uncertain = _cite(kb, "ethics_commitment_required")
    requirements.append(
        Requirement(
            id="ethics",
            title="Signed commitment to the ISPI Code of Ethics",
            met=(not kb.value("ethics_commitment_required")) or facts.ethics_agreed is True,
            detail="Signed." if facts.ethics_agreed else "The commitment to the Code of Ethics is not signed yet.",
            source=source,
            uncertain=uncertain,
        )
    )
    return requirements, warnings
