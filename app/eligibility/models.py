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
    why_uncertain: list[str] = Field(default_factory=list, description="What makes the verdict uncertain.")


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
    substitute_counted: float = Field(0.0, description="Substitute hours that count, degree credit included, capped.")
    substitute_cap: float = 0.0
    education: str | None = None
    degree_credit: float = 0.0
    total_counted: float = 0.0
    missing: float = 0.0

    def substitute_parts(self) -> list[str]:
        """How the substitute hours were counted, in words. The checklist and the hours chart both show
        this, so they cannot disagree (the chart once added the degree credit a second time)."""
        parts = []
        claimed = sum(self.substitute_by_category.values())
        if self.degree_credit:
            parts.append(f"the {(self.education or '').replace('_', ' ')} degree adds {hours_text(self.degree_credit)}")
        other = claimed - self.degree_credit
        if other:
            parts.append(f"other substitute hours add {hours_text(other)}")
        if claimed > self.substitute_cap:
            parts.append(
                f"substitute hours are capped at {hours_text(self.substitute_cap)} (claimed {hours_text(claimed)})"
            )
        return parts


def hours_text(value: float) -> str:
    """1,500 or 1,412.5: hours as every verdict writes them."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
