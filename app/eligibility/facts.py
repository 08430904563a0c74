"""What an applicant tells certprep, in one model for every program: the application file, the Application
page and the chat all fill it, and each check reads the facts it needs (``CheckSpec.reads``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.eligibility.hours_log import LogRow
from app.mapping.models import ProjectResult

#: a general ladder of schooling, lowest first; programs map their own requirements onto it in data
EDUCATION_LEVELS = ("none", "high_school", "associate", "bachelor", "advanced")


def education_rank(level: str) -> int:
    return EDUCATION_LEVELS.index(level)


class Substitution(BaseModel):
    category: str
    hours: float
    date: dt.date | None = None
    note: str | None = None


class RoleSpan(BaseModel):
    role: str
    start: str  # YYYY-MM
    end: str | None = None  # None = still in the role


class AttestationFact(BaseModel):
    name: str
    relation: str
    signed: bool = False


class ProjectFact(BaseModel):
    title: str
    attestations: list[AttestationFact] = Field(default_factory=list)
    analysis: ProjectResult | None = None
    words: int | None = Field(default=None, description="Length of the project's description, when known.")


class ApplicantFacts(BaseModel):
    """Everything a check may read. Unknown stays None: a check that lacks its facts says what is missing
    instead of guessing."""

    applied_on: dt.date
    education: str | None = None
    ethics_agreed: bool | None = None
    paid_hours: float | None = Field(default=None, description="A total, when there is no hours log.")
    hours_rows: list[LogRow] | None = None
    substitutions: list[Substitution] = Field(default_factory=list)
    experience: list[RoleSpan] = Field(default_factory=list)
    experience_years: float | None = Field(default=None, description="A total, when no roles are given.")
    projects: list[ProjectFact] = Field(default_factory=list)
    education_hours: float | None = Field(default=None, description="Contact hours of formal instruction.")
    credentials: list[str] = Field(default_factory=list, description="Credential ids held, e.g. capm.")

    model_config = {"arbitrary_types_allowed": True}
