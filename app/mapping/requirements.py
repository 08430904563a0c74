"""The program's project requirements (how many projects, each standard demonstrated often enough) for a
set of analysed narratives: the same checks, from the same ``checks.yaml``, that the Application page and
`certprep check` run, so the Narrative and Application pages cannot give two verdicts for one rule."""

from __future__ import annotations

import datetime as dt

from app.eligibility.check import has_checks, run_checks
from app.eligibility.evaluators.projects import coverage
from app.eligibility.facts import ApplicantFacts, ProjectFact
from app.eligibility.models import Requirement
from app.knowledge.checks import ProjectCount, StandardsCoverage
from app.knowledge.schema import KnowledgeBase
from app.mapping.models import ProjectResult

__all__ = ["check_requirements", "coverage"]


def check_requirements(
    kb: KnowledgeBase, projects: list[ProjectResult], on: dt.date | None = None
) -> list[Requirement]:
    if not has_checks(kb):
        return []
    facts = ApplicantFacts(
        applied_on=on or dt.date.today(),
        projects=[ProjectFact(title=p.source, analysis=p) for p in projects],
    )
    return run_checks(kb, facts, only=(ProjectCount, StandardsCoverage)).requirements
