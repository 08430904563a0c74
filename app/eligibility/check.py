"""`certprep check`: an application reviewed against its program's checks (``checks.yaml``).

One engine for every program: the chat, the Application page, the Narrative page's requirements and the
staff's batch screening all call ``check_facts`` with an ``ApplicantFacts``; which checks run, with which
thresholds and in which words, is the program's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, Field

from app.config import Settings
from app.documents import Document, DocumentError, read_bytes, read_document
from app.eligibility.application import ApplicationError, ApplicationFile, load_application, resolve
from app.eligibility.evaluators import Run, evaluate
from app.eligibility.facts import ApplicantFacts, AttestationFact, ProjectFact, RoleSpan
from app.eligibility.hours_log import HoursLogError, LogRow, parse_hours_log, read_hours_log
from app.eligibility.models import HoursSummary, Requirement
from app.knowledge.checks import CheckSpec
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


class NoChecksError(ApplicationError):
    """The program has no eligibility checks in its knowledge folder."""


def has_checks(kb: KnowledgeBase) -> bool:
    return kb.checks is not None and bool(kb.checks.eligibility)


def run_checks(
    kb: KnowledgeBase, facts: ApplicantFacts, only: type[CheckSpec] | tuple[type[CheckSpec], ...] | None = None
) -> Run:
    """Every check of the program (or only those of the given types), in the program's order."""
    if not has_checks(kb):
        raise NoChecksError(
            [f"program {kb.program.id!r} has no eligibility checks (knowledge/{kb.program.id}/checks.yaml)"]
        )
    run = Run(kb=kb, facts=facts)
    requirements = []
    for spec in kb.checks.eligibility:  # type: ignore[union-attr]
        if only is None or isinstance(spec, only):
            requirements += evaluate(spec, run)
    run.requirements = requirements
    return run


def check_facts(kb: KnowledgeBase, facts: ApplicantFacts, applicant: str | None = None) -> ApplicationCheck:
    run = run_checks(kb, facts)
    projects = []
    for project in facts.projects:
        if project.analysis is not None:
            projects.append(
                {
                    "title": project.title,
                    "source": project.analysis.source,
                    "standards": [
                        {"id": s.id, "title": s.title, "status": s.status.value, "confidence": s.confidence}
                        for s in project.analysis.standards
                    ],
                }
            )
    return ApplicationCheck(
        program=kb.program.id,
        applicant=applicant,
        eligible=all(r.met for r in run.requirements),
        requirements=run.requirements,
        hours=run.hours,
        projects=projects,
        warnings=run.warnings,
    )


def _program(settings: Settings, program: str) -> KnowledgeBase:
    knowledge = load_knowledge(settings.knowledge_dir)
    if program not in knowledge:
        raise ApplicationError([f"unknown program {program!r} (known: {', '.join(sorted(knowledge))})"])
    return knowledge[program]


class _NotSent(Exception):
    """A file the application names that did not come with it."""


def _read_named_files(
    settings: Settings,
    kb: KnowledgeBase,
    application: ApplicationFile,
    where: str,
    hours_log: Callable[[str], list[LogRow]],
    narrative: Callable[[str], Document],
) -> ApplicantFacts:
    """Read the hours log and the narratives an application names, wherever they come from, reporting
    every problem at once, then analyse the narratives."""
    problems: list[str] = []
    reads = kb.checks.reads() if kb.checks else set()
    rows = None
    if application.hours_log and "paid_hours" in reads:
        try:
            rows = hours_log(application.hours_log)
        except HoursLogError as exc:
            problems.extend(exc.problems)
        except _NotSent as exc:
            problems.append(f"{where}: hours_log: {exc}")
    documents = []
    for index, project in enumerate(application.projects if "projects" in reads else []):
        try:
            documents.append(narrative(project.narrative))
        except (DocumentError, _NotSent) as exc:
            problems.append(f"{where}: projects[{index}].narrative: {exc}")
    if problems:
        raise ApplicationError(problems)
    return applicant_facts(settings, kb, application, rows, documents)


def facts_from_file(settings: Settings, kb: KnowledgeBase, path: Path, application: ApplicationFile) -> ApplicantFacts:
    """The facts of an application file, the files it names read beside it."""
    return _read_named_files(
        settings,
        kb,
        application,
        str(path),
        lambda relative: read_hours_log(resolve(path, relative)),
        lambda relative: read_document(resolve(path, relative), settings.max_upload_bytes),
    )


def facts_from_texts(
    settings: Settings, kb: KnowledgeBase, application: ApplicationFile, files: Mapping[str, str], name: str
) -> ApplicantFacts:
    """The same facts when the files the application names came with it as texts, by the names it gives
    them (the HTTP API): nothing is read from or written to disk, so an application cannot name a file on
    the server."""

    def text_of(relative: str) -> str:
        text = files.get(relative, files.get(Path(relative).name))
        if text is None:
            raise _NotSent(f"{relative!r} was not sent with the application")
        return text

    return _read_named_files(
        settings,
        kb,
        application,
        name,
        lambda relative: parse_hours_log(text_of(relative).removeprefix("\ufeff"), Path(relative).name),
        lambda relative: read_bytes(text_of(relative).encode("utf-8"), relative, settings.max_upload_bytes),
    )


def applicant_facts(
    settings: Settings,
    kb: KnowledgeBase,
    application: ApplicationFile,
    rows: list[LogRow] | None,
    documents: list[Document],
) -> ApplicantFacts:
    """The facts the checks read, the narratives analysed against the program's standards."""
    analysis = None
    if documents and kb.standards:
        from app.mapping.service import analyze_documents

        analysis = analyze_documents(settings, kb.program.id, documents)
    return ApplicantFacts(
        applied_on=application.applied_on,
        education=application.education,
        ethics_agreed=application.ethics_agreed,
        paid_hours=application.paid_hours,
        hours_rows=rows,
        substitutions=application.substitutions,
        experience=[RoleSpan(role=r.role, start=r.start, end=r.end) for r in application.experience],
        education_hours=application.education_hours,
        credentials=application.credentials,
        projects=[
            ProjectFact(
                title=p.title,
                attestations=[AttestationFact(**a.model_dump()) for a in p.attestations],
                analysis=analysis.projects[i] if analysis else None,
                words=len(documents[i].text.split()) if i < len(documents) else None,
            )
            for i, p in enumerate(application.projects)
        ],
    )


def _unused(kb: KnowledgeBase, application: ApplicationFile) -> list[str]:
    """Fields the application fills that none of the program's checks reads: said, not silently dropped."""
    reads = kb.checks.reads() if kb.checks else set()
    given = {
        "paid_hours": application.hours_log or application.paid_hours is not None or application.substitutions,
        "experience": application.experience,
        "projects": application.projects,
        "education_hours": application.education_hours is not None,
        "credentials": application.credentials,
    }
    names = {
        "paid_hours": "an hours log, paid hours or substitutions",
        "experience": "experience",
        "projects": "projects",
        "education_hours": "education hours",
        "credentials": "credentials",
    }
    short = kb.program.short_name
    return [f"the {short} does not use {names[k]}; it was ignored" for k, v in given.items() if v and k not in reads]


def check_application(settings: Settings, path: Path) -> ApplicationCheck:
    application = load_application(path)
    kb = _checkable(settings, application, str(path))
    return _checked(kb, application, facts_from_file(settings, kb, path, application))


def check_application_texts(
    settings: Settings, application: ApplicationFile, files: Mapping[str, str], name: str = "application"
) -> ApplicationCheck:
    """`check_application` for an application already parsed, with the texts of the files it names."""
    kb = _checkable(settings, application, name)
    return _checked(kb, application, facts_from_texts(settings, kb, application, files, name))


def _checkable(settings: Settings, application: ApplicationFile, name: str) -> KnowledgeBase:
    kb = _program(settings, application.program)
    if not has_checks(kb):
        raise NoChecksError([f"{name}: program {application.program!r} has no eligibility rules in certprep yet"])
    return kb


def _checked(kb: KnowledgeBase, application: ApplicationFile, facts: ApplicantFacts) -> ApplicationCheck:
    result = check_facts(kb, facts, application.applicant)
    result.warnings += _unused(kb, application)
    return result
