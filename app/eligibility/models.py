"""Results of the rules engine: every verdict says why, which rule, and whether the rule is uncertain."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Requirement(BaseModel):
    id: str
    title: str
    met: bool
    detail: str = Field(description="A plain-language explanation of the verdict.")
    source: str = Field(description="Rule id and source keys, e.g. `paid-hours (N1, N2)`.")
    uncertain: bool = False


class RejectedRow(BaseModel):
    row: int = Field(description="1-based line number in the CSV file, header = 1.")
    reason: str
    hours: float | None = None


class HoursSummary(BaseModel):
    required: float
    window_years: int
    window_start: str
    window_end: str
    paid_in_window: float
    rejected_hours: dict[str, float] = Field(default_factory=dict, description="Hours not counted, by reason.")
    rejected_rows: list[RejectedRow] = Field(default_factory=list)
    substitute_by_category: dict[str, float] = Field(default_factory=dict)
    substitute_counted: float = 0.0
    degree_credit: float = 0.0
    total_counted: float = 0.0
    missing: float = 0.0
