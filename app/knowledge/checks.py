"""Typed rule data (``checks.yaml``): which checks a program's eligibility and recertification consist of.

A program is described, not programmed: each entry names a check type the engine knows (paid hours in a
window, months of experience, education hours, projects and attestations, credits per cycle...) and the
parameters of ``rules.yaml`` it reads. Titles are the program's own wording; ``{parameter_id}`` in a title
is replaced by that parameter's value on the day checked. Adding a program needs this file, not Python.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from app.knowledge.base import Strict

ParamRef = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="A parameter id from rules.yaml.")]
FactKey = Literal[
    "paid_hours",
    "education",
    "ethics_agreed",
    "experience",
    "projects",
    "attestations",
    "narratives",
    "education_hours",
    "credentials",
]


class CheckSpec(Strict):
    """One requirement of an application. ``id`` is how verdicts, the chat and the screening name it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=3, description="The requirement in the program's words; may use {parameter_id}.")

    #: the applicant facts this check reads: the chat asks for them, the Application page shows their fields
    reads: ClassVar[tuple[FactKey, ...]] = ()
    #: the fields that name parameters of rules.yaml
    params: ClassVar[tuple[str, ...]] = ()

    def parameter_ids(self) -> list[str]:
        return [value for name in self.params if (value := getattr(self, name))]


class PaidHoursInWindow(CheckSpec):
    """Paid work hours from a log (or a stated total) inside a window before applying, plus capped
    substitute hours; degree credit counts the highest degree only."""

    type: Literal["paid_hours_in_window"]
    hours: ParamRef
    window_years: ParamRef
    substitute_cap: ParamRef | None = None
    substitute_categories: ParamRef | None = None
    degree_credit: ParamRef | None = None
    degree_cap: ParamRef | None = None
    reads: ClassVar[tuple[FactKey, ...]] = ("paid_hours", "education")
    params: ClassVar[tuple[str, ...]] = (
        "hours",
        "window_years",
        "substitute_cap",
        "substitute_categories",
        "degree_credit",
        "degree_cap",
    )


class ExperienceMonths(CheckSpec):
    """Months of experience from roles (overlaps counted once), optionally only inside a window, against a
    minimum that is fixed or depends on education (and a credential that shortens it)."""

    type: Literal["experience_months"]
    required_years: ParamRef | None = None
    required_months_by_education: ParamRef | None = Field(
        default=None, description="A mapping education level -> months."
    )
    credential_months: ParamRef | None = Field(
        default=None, description="A mapping credential id -> months, used when it is lower."
    )
    window_years: ParamRef | None = None
    reads: ClassVar[tuple[FactKey, ...]] = ("experience", "education", "credentials")
    params: ClassVar[tuple[str, ...]] = (
        "required_years",
        "required_months_by_education",
        "credential_months",
        "window_years",
    )

    @model_validator(mode="after")
    def _one_minimum(self) -> ExperienceMonths:
        if (self.required_years is None) == (self.required_months_by_education is None):
            raise ValueError("give exactly one of `required_years` or `required_months_by_education`")
        return self


class EducationMinimum(CheckSpec):
    type: Literal["education_minimum"]
    minimum: ParamRef
    reads: ClassVar[tuple[FactKey, ...]] = ("education",)
    params: ClassVar[tuple[str, ...]] = ("minimum",)


class Agreement(CheckSpec):
    """A commitment the applicant signs (a code of ethics, a certification agreement)."""

    type: Literal["agreement"]
    required: ParamRef
    met_text: str = Field(default="Agreed.", min_length=3)
    unmet_text: str = Field(min_length=10)
    reads: ClassVar[tuple[FactKey, ...]] = ("ethics_agreed",)
    params: ClassVar[tuple[str, ...]] = ("required",)


class EducationHours(CheckSpec):
    """Hours of formal instruction (contact hours), or a credential accepted instead of them."""

    type: Literal["education_hours"]
    required: ParamRef
    alternatives: ParamRef | None = Field(default=None, description="Credential ids accepted instead.")
    reads: ClassVar[tuple[FactKey, ...]] = ("education_hours", "credentials")
    params: ClassVar[tuple[str, ...]] = ("required", "alternatives")


class ProjectCount(CheckSpec):
    type: Literal["project_count"]
    minimum: ParamRef
    reads: ClassVar[tuple[FactKey, ...]] = ("projects",)
    params: ClassVar[tuple[str, ...]] = ("minimum",)


class StandardsCoverage(CheckSpec):
    """Every standard demonstrated in at least N of the analysed projects."""

    type: Literal["standards_coverage"]
    per_standard: ParamRef
    reads: ClassVar[tuple[FactKey, ...]] = ("narratives", "projects")
    params: ClassVar[tuple[str, ...]] = ("per_standard",)


class Attestations(CheckSpec):
    """Each project attested, signed, by someone in an accepted relation to the work."""

    type: Literal["attestations"]
    accepted: ParamRef
    doubtful: ParamRef | None = Field(default=None, description="Relations only unofficial sources accept.")
    per_project: ParamRef
    attesters: str = Field(min_length=3, description="Who may attest, in words: 'a client or supervisor'.")
    named_by: str = Field(default="the program", description="Who names the accepted relations: 'ISPI'.")
    doubtful_note: str = Field(
        default="these relations appear only in unofficial sources", description="Why a doubtful relation is."
    )
    reads: ClassVar[tuple[FactKey, ...]] = ("attestations", "projects")
    params: ClassVar[tuple[str, ...]] = ("accepted", "doubtful", "per_project")


class DescriptionWords(CheckSpec):
    """Each project description within the word limits the application form sets."""

    type: Literal["description_words"]
    min_words: ParamRef
    max_words: ParamRef
    reads: ClassVar[tuple[FactKey, ...]] = ("narratives", "projects")
    params: ClassVar[tuple[str, ...]] = ("min_words", "max_words")


EligibilityCheck = Annotated[
    PaidHoursInWindow
    | ExperienceMonths
    | EducationMinimum
    | Agreement
    | EducationHours
    | ProjectCount
    | StandardsCoverage
    | Attestations
    | DescriptionWords,
    Field(discriminator="type"),
]


class CreditCategory(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=2)


class CreditMinimum(Strict):
    """At least ``minimum`` credits from rows tagged with any of ``categories``."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=3)
    categories: list[str] = Field(min_length=1)
    minimum: ParamRef


class CreditCap(Strict):
    """At most ``maximum`` credits from rows tagged with any of ``categories`` count toward the total."""

    label: str = Field(min_length=3)
    categories: list[str] = Field(min_length=1)
    maximum: ParamRef


class CreditsPerCycle(Strict):
    """Recertification by credits (points, CEUs, PDUs) earned in a cycle, from a CSV log."""

    type: Literal["credits_per_cycle"]
    unit: str = Field(min_length=2, description="How the program names a credit: points, CEUs, PDUs.")
    column: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="The amount column of the credit log.")
    required: ParamRef
    cycle_years: ParamRef
    deadline_table: ParamRef | None = Field(
        default=None, description="Deadlines by anniversary (MM-DD ranges); without it the cycle's end is the deadline."
    )
    count_until_deadline: bool = Field(
        default=False, description="Whether credits earned after the cycle ends, up to the deadline, count."
    )
    categories: list[CreditCategory] = Field(default_factory=list)
    flag_columns: list[str] = Field(
        default_factory=list, description="yes/no columns that tag a row with the category of the same name."
    )
    minimums: list[CreditMinimum] = Field(default_factory=list)
    caps: list[CreditCap] = Field(default_factory=list)

    def parameter_ids(self) -> list[str]:
        ids = [self.required, self.cycle_years] + ([self.deadline_table] if self.deadline_table else [])
        return ids + [m.minimum for m in self.minimums] + [c.maximum for c in self.caps]

    @model_validator(mode="after")
    def _known_categories(self) -> CreditsPerCycle:
        known = {c.id for c in self.categories}
        named = {c for group in self.minimums + self.caps for c in group.categories} | set(self.flag_columns)
        unknown = sorted(named - known)
        if unknown:
            raise ValueError(f"categories not listed under `categories`: {', '.join(unknown)}")
        return self


class ProgramChecks(Strict):
    """``checks.yaml``: the program's eligibility checks, in the order verdicts are shown, and how it
    recertifies."""

    eligibility: list[EligibilityCheck] = Field(default_factory=list)
    recertification: CreditsPerCycle | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> ProgramChecks:
        ids = [c.id for c in self.eligibility]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate check ids: {', '.join(dupes)}")
        return self

    def parameter_ids(self) -> list[str]:
        ids = [p for check in self.eligibility for p in check.parameter_ids()]
        return ids + (self.recertification.parameter_ids() if self.recertification else [])

    def reads(self) -> set[str]:
        return {fact for check in self.eligibility for fact in check.reads}

    def check(self, check_type: type[CheckSpec]) -> CheckSpec | None:
        return next((c for c in self.eligibility if isinstance(c, check_type)), None)
