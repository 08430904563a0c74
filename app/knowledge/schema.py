"""The knowledge base's schema: what staff may write in ``knowledge/<program>/``.

Every fact-bearing entry carries provenance (source keys, the date or version it applies to, and a
confidence flag) so that answers built on an uncertain entry can say so. Machine-checkable rules are
``Parameter`` values that the engines read; changing a YAML value changes the behaviour.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from app.knowledge.base import Strict
from app.knowledge.checks import ProgramChecks

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
STANDARD_ID = r"^S[0-9]+$"


class Confidence(StrEnum):
    confirmed = "confirmed"
    uncertain = "uncertain"


class Provenance(Strict):
    """Where a fact comes from and how sure we are of it."""

    sources: list[str] = Field(min_length=1, description="Source keys from the program's sources.yaml.")
    as_of: str = Field(min_length=4, description="Date or version the entry applies to, e.g. 2013 or 2020-10.")
    confidence: Confidence
    note: str | None = Field(default=None, description="Why it is uncertain, or what to check.")

    @model_validator(mode="after")
    def _uncertain_says_why(self) -> Provenance:
        if self.confidence is Confidence.uncertain and not self.note:
            raise ValueError("an uncertain entry needs a `note` saying what is uncertain")
        return self


class Source(Strict):
    key: str = Field(pattern=r"^[A-Z][A-Z0-9]*$")
    title: str = Field(min_length=3)
    url: str | None = None
    publisher: str | None = None
    date: str | None = Field(default=None, description="Publication or retrieval date, as known.")
    note: str | None = None


ParamValue = int | float | str | bool | list[Any] | dict[str, Any]


class ParameterOption(Strict):
    """One candidate value of a parameter whose sources disagree."""

    id: str = Field(pattern=ID_PATTERN)
    value: ParamValue
    provenance: Provenance
    description: str = Field(min_length=3)


class ParameterVersion(Strict):
    """The value a parameter had between two dates: rules change, and an application is checked against
    the version in force on its date, not today's."""

    id: str = Field(pattern=ID_PATTERN)
    effective_from: dt.date | None = Field(default=None, description="First day in force; empty = since always.")
    effective_to: dt.date | None = Field(default=None, description="Last day in force; empty = still in force.")
    value: ParamValue
    provenance: Provenance
    description: str = Field(min_length=3)

    def covers(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    @property
    def period(self) -> str:
        if self.effective_from and self.effective_to:
            return f"from {self.effective_from.isoformat()} to {self.effective_to.isoformat()}"
        if self.effective_from:
            return f"since {self.effective_from.isoformat()}"
        if self.effective_to:
            return f"until {self.effective_to.isoformat()}"
        return "at all times"


class Reading(BaseModel):
    """One value a parameter could take on a given day: the one in force, or an alternative the sources
    give (another option, or another version) that a verdict may want to mention."""

    label: str
    value: Any
    provenance: Provenance
    uncertain: bool


class Resolved(BaseModel):
    """A parameter as it stands on one day: the value an engine checks against, where it comes from, and
    whether it is uncertain (its source is, sources disagree, or the date a version took effect is)."""

    parameter_id: str
    value: Any
    provenance: Provenance
    uncertain: bool
    version: str | None = Field(default=None, description="Which version or option is in force, in words.")
    alternatives: list[Reading] = Field(default_factory=list)


class Parameter(Strict):
    """A value an engine reads (minimum hours, cap, window, points...).

    One of three forms: a single ``value`` with its provenance; several ``options`` (sources disagree) of
    which ``active`` names the one in force, so staff switch rules by editing ``active``, never code; or
    ``versions`` with ``effective_from`` / ``effective_to`` dates, for a rule that changed over time.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=3)
    unit: str | None = None
    value: ParamValue | None = None
    provenance: Provenance | None = None
    options: list[ParameterOption] = Field(default_factory=list)
    active: str | None = None
    versions: list[ParameterVersion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_form(self) -> Parameter:
        forms = [self.value is not None or self.provenance is not None, bool(self.options), bool(self.versions)]
        if sum(forms) != 1:
            raise ValueError(
                "give exactly one of `value` + `provenance`, `options` + `active`, or `versions` (with dates)"
            )
        if self.options:
            ids = [o.id for o in self.options]
            if len(set(ids)) != len(ids):
                raise ValueError(f"duplicate option ids: {ids}")
            if self.active not in ids:
                raise ValueError(f"`active` must name one of the options {ids}, got {self.active!r}")
        elif self.active is not None:
            raise ValueError("`active` is only allowed with `options`")
        if self.versions:
            self._check_versions()
        elif (self.value is None or self.provenance is None) and not self.options:
            raise ValueError("a parameter needs `value` and `provenance` (or `options` and `active`)")
        return self

    def _check_versions(self) -> None:
        ids = [v.id for v in self.versions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate version ids: {ids}")
        ordered = sorted(self.versions, key=lambda v: v.effective_from or dt.date.min)
        for version in ordered:
            if version.effective_from and version.effective_to and version.effective_to < version.effective_from:
                raise ValueError(f"version {version.id!r} ends before it starts")
        for earlier, later in itertools.pairwise(ordered):
            end = earlier.effective_to or dt.date.max
            start = later.effective_from or dt.date.min
            if start <= end:
                raise ValueError(f"versions {earlier.id!r} and {later.id!r} overlap")
            if (start - end).days != 1:
                raise ValueError(f"there is a gap between versions {earlier.id!r} and {later.id!r}")

    @property
    def active_option(self) -> ParameterOption | None:
        return next((o for o in self.options if o.id == self.active), None)

    def version_on(self, day: dt.date) -> ParameterVersion | None:
        """The version in force on ``day``; before the first version, the first one (with the resolution
        saying so), since an engine must still give a verdict."""
        if not self.versions:
            return None
        for version in self.versions:
            if version.covers(day):
                return version
        return min(self.versions, key=lambda v: v.effective_from or dt.date.min)

    def resolve(self, day: dt.date | None = None) -> Resolved:
        day = day or dt.date.today()
        if self.versions:
            version = self.version_on(day)
            assert version is not None
            in_force = version.covers(day)
            others = [v for v in self.versions if v is not version]
            uncertain = version.provenance.confidence is Confidence.uncertain or not in_force
            return Resolved(
                parameter_id=self.id,
                value=version.value,
                provenance=version.provenance,
                uncertain=uncertain,
                version=f"the version in force {version.period}"
                if in_force
                else f"the earliest version known (in force {version.period}); none covers {day.isoformat()}",
                alternatives=[
                    Reading(
                        label=f"the version in force {v.period}",
                        value=v.value,
                        provenance=v.provenance,
                        uncertain=v.provenance.confidence is Confidence.uncertain,
                    )
                    for v in others
                ],
            )
        option = self.active_option
        if option is not None:
            return Resolved(
                parameter_id=self.id,
                value=option.value,
                provenance=option.provenance,
                uncertain=option.provenance.confidence is Confidence.uncertain or len(self.options) > 1,
                version=option.description,
                alternatives=[
                    Reading(
                        label=o.description,
                        value=o.value,
                        provenance=o.provenance,
                        uncertain=o.provenance.confidence is Confidence.uncertain,
                    )
                    for o in self.options
                    if o is not option
                ],
            )
        assert self.provenance is not None
        return Resolved(
            parameter_id=self.id,
            value=self.value,
            provenance=self.provenance,
            uncertain=self.provenance.confidence is Confidence.uncertain,
        )

    @property
    def current(self) -> ParamValue:
        return self.resolve().value

    @property
    def current_provenance(self) -> Provenance:
        return self.resolve().provenance

    @property
    def uncertain(self) -> bool:
        """Uncertain if the value in force is uncertain, sources disagree, or the date it took effect is
        uncertain."""
        return self.resolve().uncertain


class RuleKind(StrEnum):
    about = "about"
    eligibility = "eligibility"
    application = "application"
    exam = "exam"
    recertification = "recertification"


class Rule(Strict):
    """A rule in prose (what staff would say) plus the parameters an engine checks."""

    id: str = Field(pattern=ID_PATTERN)
    kind: RuleKind
    title: str = Field(min_length=3)
    text: str = Field(min_length=20, description="The rule in plain words, one short paragraph.")
    details: list[str] = Field(default_factory=list)
    provenance: Provenance
    parameters: list[Parameter] = Field(default_factory=list)


class Criterion(Strict):
    id: str = Field(pattern=r"^S[0-9]+\.C[0-9]+$")
    text: str = Field(min_length=15)


class StandardGroup(StrEnum):
    principle = "principle"
    process = "process"


class Standard(Strict):
    """One standard a candidate's project narratives must demonstrate."""

    id: str = Field(pattern=STANDARD_ID)
    number: int = Field(ge=1)
    title: str = Field(min_length=3, description="Current name.")
    original_title: str | None = Field(default=None, description="Wording before the current version.")
    group: StandardGroup
    summary: str = Field(min_length=20)
    criteria: list[Criterion] = Field(min_length=5)
    evidence: list[str] = Field(min_length=3, description="Kinds of evidence that demonstrate it.")
    weaknesses: list[str] = Field(min_length=3, description="Typical weaknesses of narratives.")
    examples: list[str] = Field(min_length=2, description="Short illustrations of strong evidence.")
    narrative_cues: list[str] = Field(
        default_factory=list,
        description="First-person sentences of the kind that show the standard in a narrative: reference "
        "points for the narrative check (optional; criteria and examples are used either way).",
    )
    keywords: list[str] = Field(min_length=2, description="Words that name the standard.")
    coaching_questions: list[str] = Field(default_factory=list)
    provenance: Provenance
    guidance_provenance: Provenance = Field(
        description="Provenance of criteria, evidence, weaknesses and examples (often inferred)."
    )

    @model_validator(mode="after")
    def _ids_match(self) -> Standard:
        if self.id != f"S{self.number}":
            raise ValueError(f"id {self.id!r} does not match number {self.number} (expected S{self.number})")
        for criterion in self.criteria:
            if not criterion.id.startswith(f"{self.id}."):
                raise ValueError(f"criterion {criterion.id!r} does not belong to {self.id}")
        return self


class EthicsPrinciple(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=3)
    summary: str = Field(min_length=20, description="What the principle asks of a practitioner.")
    asks: list[str] = Field(default_factory=list)
    provenance: Provenance


class EthicsCode(Strict):
    title: str = Field(min_length=3)
    preamble: str = Field(min_length=20)
    provenance: Provenance
    principles: list[EthicsPrinciple] = Field(min_length=1)


class ExamDomain(Strict):
    id: str = Field(pattern=r"^D[0-9]+$")
    name: str = Field(min_length=3)
    weight: float = Field(gt=0, le=100, description="Percent of scored questions.")
    description: str = Field(min_length=20)
    provenance: Provenance


class Exam(Strict):
    title: str = Field(min_length=3)
    summary: str = Field(min_length=20)
    domains: list[ExamDomain] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_sum(self) -> Exam:
        total = sum(d.weight for d in self.domains)
        if abs(total - 100) > 0.01:
            raise ValueError(f"domain weights add up to {total:g}%, not 100%")
        return self


class FaqEntry(Strict):
    id: str = Field(pattern=ID_PATTERN)
    question: str = Field(min_length=8)
    answer: str = Field(min_length=20)
    audience: list[Literal["candidate", "mentor", "staff"]] = Field(min_length=1)
    provenance: Provenance
    line: int | None = Field(default=None, description="Line of the question in faq.md.")


class Program(Strict):
    """``program.yaml``: identity of the program and how its application works."""

    id: str = Field(pattern=r"^[a-z][a-z0-9]*$")
    name: str = Field(min_length=3)
    short_name: str = Field(min_length=2)
    body: str = Field(min_length=3, description="The certifying body.")
    aliases: list[str] = Field(
        default_factory=list,
        description="Other names a user may call the program by, e.g. the certifying body's acronym.",
    )
    summary: str = Field(min_length=20)
    requires_narratives: bool = Field(description="Whether applicants describe projects that are mapped to standards.")
    example_questions: list[str] = Field(
        default_factory=list,
        max_length=6,
        description="Questions the Ask page offers as a start: about this program, in its own words.",
    )
    provenance: Provenance


class KnowledgeBase(Strict):
    """Everything known about one program, assembled from its folder."""

    program: Program
    sources: list[Source] = Field(min_length=1)
    standards: list[Standard] = Field(default_factory=list)
    ethics: EthicsCode | None = None
    rules: list[Rule] = Field(default_factory=list)
    exam: Exam | None = None
    faq: list[FaqEntry] = Field(default_factory=list)
    checks: ProgramChecks | None = Field(
        default=None, description="The typed rules (checks.yaml) the eligibility and recertification engines run."
    )

    @field_validator("standards")
    @classmethod
    def _standards_in_order(cls, standards: list[Standard]) -> list[Standard]:
        numbers = [s.number for s in standards]
        if numbers != list(range(1, len(standards) + 1)):
            raise ValueError(f"standards must be numbered 1..{len(standards)} in order, got {numbers}")
        return standards

    def summary(self) -> dict[str, Any]:
        """The program and its standards as `certprep programs --json` and the HTTP API list them."""
        return {
            "id": self.program.id,
            "name": self.program.name,
            "short_name": self.program.short_name,
            "body": self.program.body,
            "standards": [{"id": s.id, "title": s.title} for s in self.standards],
        }

    # Look-ups the engines use. Kept here so callers never walk the tree themselves.
    def source(self, key: str) -> Source:
        for source in self.sources:
            if source.key == key:
                return source
        raise KeyError(f"unknown source {key!r} in program {self.program.id!r}")

    def standard(self, standard_id: str) -> Standard:
        wanted = standard_id.strip().upper()
        if re.fullmatch(r"[0-9]+", wanted):
            wanted = f"S{wanted}"
        for standard in self.standards:
            if standard.id == wanted:
                return standard
        known = ", ".join(s.id for s in self.standards) or "none"
        raise KeyError(f"unknown standard {standard_id!r} for {self.program.id} (known: {known})")

    def parameters(self) -> dict[str, tuple[Rule, Parameter]]:
        return {p.id: (rule, p) for rule in self.rules for p in rule.parameters}

    def parameter(self, parameter_id: str) -> Parameter:
        try:
            return self.parameters()[parameter_id][1]
        except KeyError:
            raise KeyError(f"program {self.program.id!r} has no parameter {parameter_id!r}") from None

    def value(self, parameter_id: str, on: dt.date | None = None) -> ParamValue:
        """The value in force for a parameter (today, or on ``on``): what the engines check against."""
        return self.parameter(parameter_id).resolve(on).value

    def resolve(self, parameter_id: str, on: dt.date | None = None) -> Resolved:
        return self.parameter(parameter_id).resolve(on)

    def rule_of(self, parameter_id: str) -> Rule:
        return self.parameters()[parameter_id][0]
