"""`certprep check`: a whole application file reviewed against its program's rules.

The same functions serve the chat assistant (``check_cpo_facts`` / ``check_cpt_facts`` take facts
extracted from a conversation) and the UI's application page.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from app.config import Settings
from app.documents import DocumentError, read_document
from app.eligibility.application import ApplicationError, ApplicationFile, load_application, resolve
from app.eligibility.cpo import CpoFacts, check_cpo
from app.eligibility.cpt import AttestationFact, CptFacts, CptProject, RoleSpan, check_cpt
from app.eligibility.hours_log import HoursLogError, read_hours_log
from app.eligibility.models import HoursSummary, Requirement
from app.knowledge.loader import load_knowledge
from app.knowledge.schema import KnowledgeBase


class ApplicationCheck(BaseModel):
    program: str
    applicant: str | None = None
    eligible: bool
    requirements: list[Requirement]
    hours: HoursSummary | None = None
    projects: list[dict] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def public(self) -> dict:
        return {
            "program": self.program,
            "eligible": self.eligible,
            "requirements": [
                {"id": r.id, "met": r.met, "detail": r.detail, "source": r.source, "uncertain": r.uncertain}
                for r in self.requirements
            ],
            "hours": self.hours.model_dump() if self.hours else None,
            "projects": self.projects,
            "warnings": self.warnings,
        }

    def fix_first(self) -> list[Requirement]:
        """Unmet requirements, the ones resting on confirmed rules first."""
        return sorted((r for r in self.requirements if not r.met), key=lambda r: r.uncertain)


def _program(settings: Settings, program: str) -> KnowledgeBase:
    knowledge = load_knowledge(settings.knowledge_dir)
    if program not in knowledge:
        raise ApplicationError([f"unknown program {program!r} (known: {', '.join(sorted(knowledge))})"])
    return knowledge[program]


def check_cpo_facts(kb: KnowledgeBase, facts: CpoFacts, applicant: str | None = None) -> ApplicationCheck:
    requirements, hours, warnings = check_cpo(kb, facts)
    return ApplicationCheck(
        program=kb.program.id,
        applicant=applicant,
        eligible=all(r.met for r in requirements),
        requirements=requirements,
        hours=hours,
        warnings=warnings,
    )


def check_cpt_facts(kb: KnowledgeBase, facts: CptFacts, applicant: str | None = None) -> ApplicationCheck:
    requirements, warnings = check_cpt(kb, facts)
    projects = []
    for project in facts.projects:
        if project.analysis is not None:
            entry = {"title": project.title, "source": project.analysis.source}
            entry["standards"] = [
                {"id": s.id, "title": s.title, "status": s.status.value, "confidence": s.confidence}
                for s in project.analysis.standards
            ]
            projects.append(entry)
    return ApplicationCheck(
        program=kb.program.id,
        applicant=applicant,
        eligible=all(r.met for r in requirements),
        requirements=requirements,
        projects=projects,
        warnings=warnings,
    )


def check_application(settings: Settings, path: Path) -> ApplicationCheck:
    application: ApplicationFile = load_application(path)
    kb = _program(settings, application.program)
    problems: list[str] = []
    if application.program == "cpo":
        rows = None
        if application.hours_log:
            log_path = resolve(path, application.hours_log)
            try:
                rows = read_hours_log(log_path)
            except HoursLogError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ApplicationError(problems)
        facts = CpoFacts(
            applied_on=application.applied_on,
            education=application.education,
            ethics_agreed=application.ethics_agreed,
            paid_hours=application.paid_hours,
            hours_rows=rows,
            substitutions=application.substitutions,
        )
        result = check_cpo_facts(kb, facts, application.applicant)
        if application.projects:
            result.warnings.append("CPO applications do not use project narratives; `projects` was ignored")
        return result
    if application.program == "cpt":
        from app.mapping.service import analyze_documents

        documents = []
        for index, project in enumerate(application.projects):
            try:
                documents.append(read_document(resolve(path, project.narrative), settings.max_upload_bytes))
            except DocumentError as exc:
                problems.append(f"{path}: projects[{index}].narrative: {exc}")
        if problems:
            raise ApplicationError(problems)
        analysis = analyze_documents(settings, "cpt", documents) if documents else None
        facts = CptFacts(
            applied_on=application.applied_on,
            experience=[RoleSpan(role=r.role, start=r.start, end=r.end) for r in application.experience],
            ethics_agreed=application.ethics_agreed,
            projects=[
                CptProject(
                    title=p.title,
                    attestations=[AttestationFact(**a.model_dump()) for a in p.attestations],
                    analysis=analysis.projects[i] if analysis else None,
                )
                for i, p in enumerate(application.projects)
            ],
        )
        result = check_cpt_facts(kb, facts, application.applicant)
        if application.hours_log or application.substitutions:
            result.warnings.append("the CPT does not use an hours log or substitutions; they were ignored")
        return result
    raise ApplicationError([f"{path}: program {application.program!r} has no eligibility rules in certprep yet"])
