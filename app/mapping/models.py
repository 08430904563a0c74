"""What an analysis returns: the JSON the CLI prints and the UI draws."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from app.eligibility.models import Requirement


class Status(StrEnum):
    demonstrated = "demonstrated"
    partial = "partial"
    missing = "missing"


class Evidence(BaseModel):
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    strength: float = Field(ge=0, le=1)


class Basis(StrEnum):
    """Why a standard has the status it has, in the words the suggestion uses."""

    evidence = "evidence"  # described, own, done work
    thin = "thin"  # some work described, not enough to count
    planned = "planned"  # the work is planned, not reported as done
    others = "others"  # the work described was done by someone else
    named = "named"  # named or claimed, no work described
    none = "none"  # nothing about it


class StandardResult(BaseModel):
    id: str
    title: str
    status: Status
    confidence: float = Field(ge=0, le=1)
    evidence: list[Evidence]
    criteria_met: list[str]
    suggestion: str | None
    paragraph: int | None = Field(default=None, description="Paragraph (0-based) the suggestion belongs to.")
    basis: Basis | None = Field(default=None, description="Why this status (sentence-level engine only).")


class ProjectResult(BaseModel):
    source: str
    standards: list[StandardResult]
    warnings: list[str] = Field(default_factory=list)
    words: int = 0

    def status(self, standard_id: str) -> Status:
        for result in self.standards:
            if result.id == standard_id:
                return result.status
        raise KeyError(standard_id)


class Analysis(BaseModel):
    program: str
    projects: list[ProjectResult]
    coverage: dict[str, int]
    requirements: list[Requirement]

    def public(self) -> dict:
        """The documented JSON shape of ``certprep analyze --json``."""
        return {
            "program": self.program,
            "projects": [
                {
                    "source": p.source,
                    "standards": [
                        {
                            "id": s.id,
                            "title": s.title,
                            "status": s.status.value,
                            "confidence": s.confidence,
                            "evidence": [e.model_dump() for e in s.evidence],
                            "criteria_met": s.criteria_met,
                            "suggestion": s.suggestion,
                            "basis": s.basis.value if s.basis else None,
                        }
                        for s in p.standards
                    ],
                    "warnings": p.warnings,
                }
                for p in self.projects
            ],
            "coverage": self.coverage,
            "requirements": [r.model_dump() for r in self.requirements],
        }


class StandardChange(BaseModel):
    id: str
    title: str
    before: Status
    after: Status
    change: str  # improved | regressed | unchanged
    confidence_delta: float
    criteria_added: list[str]
    criteria_lost: list[str]


class Comparison(BaseModel):
    program: str
    old: str
    new: str
    standards: list[StandardChange]
