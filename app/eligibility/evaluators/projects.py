"""Projects: how many, which standards they demonstrate and how often, who attested them, and whether
each description fits the form's word limits."""

from __future__ import annotations

from app.eligibility.evaluators import evaluates
from app.eligibility.evaluators.base import Run
from app.eligibility.models import Requirement
from app.knowledge.checks import Attestations, DescriptionWords, ProjectCount, StandardsCoverage
from app.knowledge.schema import KnowledgeBase
from app.mapping.models import ProjectResult, Status


def coverage(kb: KnowledgeBase, analysed: list[ProjectResult]) -> dict[str, int]:
    """Standard id -> in how many analysed projects it is demonstrated."""
    return {s.id: sum(1 for a in analysed if a.status(s.id) is Status.demonstrated) for s in kb.standards}


@evaluates(ProjectCount)
def project_count(spec: ProjectCount, run: Run) -> list[Requirement]:
    need = int(run.value(spec.minimum))
    have = len(run.facts.projects)
    requirement = run.requirement(spec, have >= need, "")
    requirement.detail = f"{have} project(s) listed; certprep checks for {need}" + (
        " (the number is uncertain in the sources)." if requirement.uncertain else "."
    )
    return [requirement]


@evaluates(StandardsCoverage)
def standards_coverage(spec: StandardsCoverage, run: Run) -> list[Requirement]:
    if not any(p.analysis is not None for p in run.facts.projects):
        return []  # nothing analysed yet: no verdict rather than a false "missing"
    need = int(run.value(spec.per_standard))
    counts = coverage(run.kb, [p.analysis for p in run.facts.projects if p.analysis is not None])
    short = [f"{s.id} {s.title} ({counts[s.id]} of {need})" for s in run.kb.standards if counts[s.id] < need]
    detail = (
        "Not yet demonstrated often enough: " + "; ".join(short) + "."
        if short
        else f"All {len(run.kb.standards)} standards are demonstrated across the projects."
    )
    return [run.requirement(spec, not short, detail)]


@evaluates(Attestations)
def attestations(spec: Attestations, run: Run) -> list[Requirement]:
    accepted = {str(r) for r in run.value(spec.accepted)}
    doubtful = {str(r) for r in run.value(spec.doubtful)} if spec.doubtful else set()
    need = int(run.value(spec.per_project))
    problems, doubts = [], []
    for project in run.facts.projects:
        signed = [a for a in project.attestations if a.signed]
        valid = [a for a in signed if a.relation in accepted]
        maybe = [a for a in signed if a.relation in doubtful]
        for a in project.attestations:
            if not a.signed:
                run.warnings.append(f"{project.title}: the attestation by {a.name} is not signed yet")
            elif a.relation not in accepted | doubtful:
                run.warnings.append(
                    f"{project.title}: {a.name} ({a.relation}) is not a relation {spec.named_by} names "
                    f"(accepted: {', '.join(sorted(accepted))})"
                )
        if len(valid) >= need:
            continue
        if len(valid) + len(maybe) >= need:
            doubts.append(f"{project.title} relies on {', '.join(f'{a.name} ({a.relation})' for a in maybe)}")
        else:
            problems.append(f"{project.title} has {len(valid)} signed attestation(s) from {spec.attesters}")
    if not run.facts.projects:
        detail = "No projects listed."
    elif problems:
        detail = f"Each project needs {need} signed attestation(s) from {spec.attesters}: " + "; ".join(problems) + "."
    elif doubts:
        detail = "Signed, but " + "; ".join(doubts) + f": {spec.doubtful_note}."
    else:
        detail = f"Every project has a signed attestation from {spec.attesters}."
    # the doubtful relations' own uncertainty matters only when a project relies on them
    params = [spec.accepted, spec.per_project] + ([spec.doubtful] if doubts and spec.doubtful else [])
    return [run.requirement(spec, not problems and bool(run.facts.projects), detail, params)]


@evaluates(DescriptionWords)
def description_words(spec: DescriptionWords, run: Run) -> list[Requirement]:
    low, high = int(run.value(spec.min_words)), int(run.value(spec.max_words))
    measured = [p for p in run.facts.projects if p.words is not None]
    if not measured:
        return []
    outside = [f"{p.title} ({p.words} words)" for p in measured if not low <= (p.words or 0) <= high]
    detail = (
        f"Outside {low} to {high} words: " + "; ".join(outside) + "."
        if outside
        else f"Every project description is between {low} and {high} words."
    )
    return [run.requirement(spec, not outside, detail)]
