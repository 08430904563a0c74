"""CPO eligibility: paid hours in the window, substitute hours, degree credit, education and ethics.

All thresholds come from the knowledge base's parameters; the rule ids and source keys are carried
into each verdict so staff can cite them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field

from app.eligibility.dates import years_before
from app.eligibility.hours_log import LogRow, classify_rows
from app.eligibility.models import HoursSummary, RejectedRow, Requirement, hours_text
from app.knowledge.schema import KnowledgeBase

EDUCATION_LEVELS = ("none", "high_school", "associate", "bachelor", "advanced")


class Substitution(BaseModel):
    category: str
    hours: float
    date: dt.date | None = None
    note: str | None = None


class CpoFacts(BaseModel):
    """What the engine needs to know; the chat assistant fills this from a conversation."""

    applied_on: dt.date
    education: str | None = None
    ethics_agreed: bool | None = None
    paid_hours: float | None = Field(default=None, description="A total, when there is no hours log.")
    hours_rows: list[LogRow] | None = None
    substitutions: list[Substitution] = Field(default_factory=list)

    model_config = {"arbitrary_types_allowed": True}


def _cite(kb: KnowledgeBase, parameter_id: str) -> tuple[str, bool]:
    rule, param = kb.parameters()[parameter_id]
    prov = param.current_provenance
    return f"{rule.id} ({', '.join(prov.sources)})", param.uncertain


def _level(level: str) -> str:
    return level.replace("_", " ")


def _other_windows(kb: KnowledgeBase, facts: CpoFacts, summary: HoursSummary, active_years: int) -> str:
    """When the sources disagree on the window, say what the other reading would change, so staff see
    whether the uncertainty matters for this applicant."""
    if facts.hours_rows is None:
        return ""
    param = kb.parameter("experience_window_years")
    notes = []
    for option in param.options:
        years = int(option.value)  # type: ignore[arg-type]
        if years == active_years:
            continue
        start = years_before(facts.applied_on, years)
        rows = classify_rows(facts.hours_rows, start, facts.applied_on)
        paid = sum(r.hours or 0.0 for r in rows if r.reason is None)
        total = paid + summary.substitute_counted
        verdict = "enough" if total >= summary.required else f"{hours_text(summary.required - total)} short"
        sources = ", ".join(option.provenance.sources) if option.provenance else "another source"
        notes.append(
            f"under the {years}-year window named by {sources} (uncertain), {hours_text(paid)} paid hours would "
            f"count ({verdict})"
        )
    return "; ".join(notes)


def check_cpo(kb: KnowledgeBase, facts: CpoFacts) -> tuple[list[Requirement], HoursSummary, list[str]]:
    warnings: list[str] = []
    required = float(kb.value("min_paid_hours"))
    window_years = int(kb.value("experience_window_years"))
    cap = float(kb.value("max_substitute_hours"))
    degree_table: dict[str, Any] = kb.value("degree_credit_hours")  # type: ignore[assignment]
    degree_cap = float(kb.value("max_degree_credit_hours"))
    categories = {c["id"]: c for c in kb.value("substitute_categories")}  # type: ignore[union-attr]
    window_end = facts.applied_on
    window_start = years_before(window_end, window_years)

    summary = HoursSummary(
        required=required,
        window_years=window_years,
        window_start=window_start.isoformat(),
        window_end=window_end.isoformat(),
        paid_in_window=0.0,
    )
    if facts.hours_rows is not None:
        rows = classify_rows(facts.hours_rows, window_start, window_end)
        for row in rows:
            if row.reason is None:
                summary.paid_in_window += row.hours or 0.0
            else:
                summary.rejected_rows.append(RejectedRow(row=row.line, reason=row.reason, hours=row.hours))
                label = row.reason.split(" (")[0]
                if row.hours and row.hours > 0:
                    summary.rejected_hours[label] = summary.rejected_hours.get(label, 0.0) + row.hours
    elif facts.paid_hours is not None:
        summary.paid_in_window = float(facts.paid_hours)
    # degree credit: the highest degree only, never added up
    education = facts.education or "none"
    if education not in EDUCATION_LEVELS:
        raise ValueError(f"unknown education level {education!r}; use one of {', '.join(EDUCATION_LEVELS)}")
    summary.degree_credit = min(float(degree_table.get(education, 0)), degree_cap)

    by_category: dict[str, float] = defaultdict(float)
    if summary.degree_credit:
        by_category["degree"] = summary.degree_credit
    for sub in facts.substitutions:
        if sub.category not in categories:
            warnings.append(f"substitution category {sub.category!r} is not recognised; it was not counted")
            continue
        if sub.category == "degree":
            warnings.append(
                "degree credit comes from `education` (highest degree only); a `degree` substitution "
                "was not counted again"
            )
            continue
        if sub.hours <= 0:
            warnings.append(f"{sub.category}: {sub.hours:g} hours is not a positive number; not counted")
            continue
        if categories[sub.category].get("time_limited"):
            if sub.date is None:
                warnings.append(f"{sub.category}: no date given; it must fall inside the window, so it was not counted")
                continue
            if not window_start <= sub.date <= window_end:
                warnings.append(
                    f"{sub.category} dated {sub.date.isoformat()} is outside the {window_years}-year "
                    f"window ({window_start.isoformat()} to {window_end.isoformat()}); not counted"
                )
                continue
        by_category[sub.category] += sub.hours
    summary.substitute_by_category = dict(by_category)
    claimed = sum(by_category.values())
    summary.substitute_counted = min(claimed, cap)
    summary.substitute_cap, summary.education = cap, education
    summary.total_counted = summary.paid_in_window + summary.substitute_counted
    summary.missing = max(0.0, required - summary.total_counted)

    requirements: list[Requirement] = []
    source, uncertain = _cite(kb, "min_paid_hours")
    window_source, window_uncertain = _cite(kb, "experience_window_years")
    parts = [
        f"{hours_text(summary.paid_in_window)} paid hours fall inside the {window_years}-year window "
        f"({window_start.isoformat()} to {window_end.isoformat()})"
    ]
    if summary.rejected_hours:
        parts.append("not counted: " + ", ".join(f"{hours_text(h)} h {r}" for r, h in summary.rejected_hours.items()))
    parts += summary.substitute_parts()
    verdict = f"{hours_text(summary.total_counted)} of the {hours_text(required)} hours count" + (
        (
            ", so 1 hour is still missing"
            if summary.missing == 1
            else f", so {hours_text(summary.missing)} hours are still missing"
        )
        if summary.missing
        else ""
    )
    alternatives = _other_windows(kb, facts, summary, window_years)
    if alternatives:
        parts.append(alternatives)
    requirements.append(
        Requirement(
            id="paid_hours",
            title=f"{hours_text(required)} hours of paid work in the {window_years} years before applying",
            met=summary.missing == 0 and (facts.hours_rows is not None or facts.paid_hours is not None),
            detail=f"{verdict}: " + "; ".join(parts) + "."
            if facts.hours_rows is not None or facts.paid_hours is not None
            else "No hours log or hours total was given.",
            source=source if source == window_source else f"{source}; {window_source}",
            uncertain=uncertain or window_uncertain,
        )
    )

    edu_source, edu_uncertain = _cite(kb, "min_education")
    minimum = str(kb.value("min_education"))
    has = facts.education is not None
    met = has and EDUCATION_LEVELS.index(education) >= EDUCATION_LEVELS.index(minimum)
    requirements.append(
        Requirement(
            id="education",
            title="High-school diploma or equivalent",
            met=met,
            detail=(
                "Education not stated."
                if not has
                else f"Stated education: {_level(education)}; the minimum is {_level(minimum)}."
            ),
            source=edu_source,
            uncertain=edu_uncertain,
        )
    )

    eth_source, eth_uncertain = _cite(kb, "ethics_agreement_required")
    needed = bool(kb.value("ethics_agreement_required"))
    requirements.append(
        Requirement(
            id="ethics",
            title="Agreement to the CPO Code of Ethics",
            met=(not needed) or facts.ethics_agreed is True,
            detail="Agreed." if facts.ethics_agreed else "The applicant has not agreed to the Code of Ethics yet.",
            source=eth_source,
            uncertain=eth_uncertain,
        )
    )
    return requirements, summary, warnings
