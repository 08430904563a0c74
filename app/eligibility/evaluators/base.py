"""What every evaluator works with: the program, the applicant's facts, the day the rules are read for,
and one way to turn a verdict into a cited ``Requirement``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.eligibility.citing import cite
from app.eligibility.facts import ApplicantFacts
from app.eligibility.models import HoursSummary, Requirement, hours_text
from app.knowledge.checks import CheckSpec
from app.knowledge.schema import KnowledgeBase


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return hours_text(float(value))
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


@dataclass
class Run:
    kb: KnowledgeBase
    facts: ApplicantFacts
    warnings: list[str] = field(default_factory=list)
    hours: HoursSummary | None = None
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def day(self) -> dt.date:
        return self.facts.applied_on

    def value(self, parameter_id: str):
        return self.kb.value(parameter_id, self.day)

    def versions_applied(self, parameter_ids: list[str]) -> str:
        """Which dated version of a rule was applied, for every parameter that has versions: a check says
        which rule it used, not only the result."""
        notes = []
        for pid in dict.fromkeys(parameter_ids):
            parameter = self.kb.parameter(pid)
            if parameter.versions:
                notes.append(f"{parameter.title}: {self.kb.resolve(pid, self.day).version}")
        return (f" Applied for {self.day.isoformat()}: " + "; ".join(notes) + ".") if notes else ""

    def title(self, spec: CheckSpec) -> str:
        values = {pid: _text(self.value(pid)) for pid in self.kb.parameters()}
        return spec.title.format_map(values)

    def requirement(
        self,
        spec: CheckSpec,
        met: bool,
        detail: str,
        parameter_ids: list[str] | None = None,
        fact_doubt: str | None = None,
    ) -> Requirement:
        used = parameter_ids or spec.parameter_ids()
        citation = cite(self.kb, used, self.day, fact_doubt)
        return Requirement(
            id=spec.id,
            title=self.title(spec),
            met=met,
            detail=detail + self.versions_applied(used),
            source=citation.source,
            uncertain=citation.uncertain,
            why_uncertain=citation.why,
        )
