"""Paid hours in a window before applying, with capped substitute hours and degree credit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from app.eligibility.dates import years_before
from app.eligibility.evaluators import evaluates
from app.eligibility.evaluators.base import Run
from app.eligibility.hours_log import classify_rows
from app.eligibility.models import HoursSummary, RejectedRow, Requirement, hours_text
from app.knowledge.checks import PaidHoursInWindow


def _paid_in(run: Run, years: int) -> float:
    start = years_before(run.day, years)
    rows = classify_rows(run.facts.hours_rows or [], start, run.day)
    return sum(r.hours or 0.0 for r in rows if r.reason is None)


def _other_windows(run: Run, spec: PaidHoursInWindow, summary: HoursSummary) -> str:
    """When the window is uncertain, say what the other reading would change, so staff see whether the
    uncertainty matters for this applicant."""
    if run.facts.hours_rows is None:
        return ""
    notes = []
    for reading in run.kb.resolve(spec.window_years, run.day).alternatives:
        years = int(reading.value)
        if years == summary.window_years:
            continue
        paid = _paid_in(run, years)
        total = paid + summary.substitute_counted
        verdict = "enough" if total >= summary.required else f"{hours_text(summary.required - total)} short"
        named = f"named by {', '.join(reading.provenance.sources)}" + (", uncertain" if reading.uncertain else "")
        if reading.label.startswith("the version"):
            named = f"{reading.label}; {named}"
        notes.append(f"under the {years}-year window ({named}), {hours_text(paid)} paid hours would count ({verdict})")
    return "; ".join(notes)


def _substitutes(run: Run, spec: PaidHoursInWindow, summary: HoursSummary) -> None:
    facts = run.facts
    education = facts.education or "none"
    table = run.value(spec.degree_credit) if spec.degree_credit else {}
    degree_cap = float(run.value(spec.degree_cap)) if spec.degree_cap else float("inf")
    summary.degree_credit = min(float(table.get(education, 0)), degree_cap)  # the highest degree only
    categories = {c["id"]: c for c in run.value(spec.substitute_categories)} if spec.substitute_categories else {}
    by_category: dict[str, float] = defaultdict(float)
    if summary.degree_credit:
        by_category["degree"] = summary.degree_credit
    start, end = dt.date.fromisoformat(summary.window_start), run.day
    for sub in facts.substitutions:
        if sub.category not in categories:
            run.warnings.append(f"substitution category {sub.category!r} is not recognised; it was not counted")
            continue
        if sub.category == "degree":
            run.warnings.append(
                "degree credit comes from `education` (highest degree only); a `degree` substitution "
                "was not counted again"
            )
            continue
        if sub.hours <= 0:
            run.warnings.append(f"{sub.category}: {sub.hours:g} hours is not a positive number; not counted")
            continue
        if categories[sub.category].get("time_limited"):
            if sub.date is None:
                run.warnings.append(
                    f"{sub.category}: no date given; it must fall inside the window, so it was not counted"
                )
                continue
            if not start <= sub.date <= end:
                run.warnings.append(
                    f"{sub.category} dated {sub.date.isoformat()} is outside the {summary.window_years}-year "
                    f"window ({start.isoformat()} to {end.isoformat()}); not counted"
                )
                continue
        by_category[sub.category] += sub.hours
    summary.substitute_by_category = dict(by_category)
    summary.substitute_cap = float(run.value(spec.substitute_cap)) if spec.substitute_cap else 0.0
    summary.substitute_counted = min(sum(by_category.values()), summary.substitute_cap)
    summary.education = education


@evaluates(PaidHoursInWindow)
def paid_hours(spec: PaidHoursInWindow, run: Run) -> list[Requirement]:
    facts = run.facts
    required = float(run.value(spec.hours))
    window_years = int(run.value(spec.window_years))
    start = years_before(run.day, window_years)
    summary = HoursSummary(
        required=required,
        window_years=window_years,
        window_start=start.isoformat(),
        window_end=run.day.isoformat(),
        paid_in_window=0.0,
    )
    if facts.hours_rows is not None:
        for row in classify_rows(facts.hours_rows, start, run.day):
            if row.reason is None:
                summary.paid_in_window += row.hours or 0.0
            else:
                summary.rejected_rows.append(RejectedRow(row=row.line, reason=row.reason, hours=row.hours))
                label = row.reason.split(" (")[0]
                if row.hours and row.hours > 0:
                    summary.rejected_hours[label] = summary.rejected_hours.get(label, 0.0) + row.hours
    elif facts.paid_hours is not None:
        summary.paid_in_window = float(facts.paid_hours)
    _substitutes(run, spec, summary)
    summary.total_counted = summary.paid_in_window + summary.substitute_counted
    summary.missing = max(0.0, required - summary.total_counted)
    run.hours = summary

    known = facts.hours_rows is not None or facts.paid_hours is not None
    if not known:
        return [run.requirement(spec, False, "No hours log or hours total was given.")]
    parts = [
        f"{hours_text(summary.paid_in_window)} paid hours fall inside the {window_years}-year window "
        f"({summary.window_start} to {summary.window_end})"
    ]
    if summary.rejected_hours:
        parts.append("not counted: " + ", ".join(f"{hours_text(h)} h {r}" for r, h in summary.rejected_hours.items()))
    parts += summary.substitute_parts()
    if summary.missing == 1:
        shortfall = ", so 1 hour is still missing"
    elif summary.missing:
        shortfall = f", so {hours_text(summary.missing)} hours are still missing"
    else:
        shortfall = ""
    verdict = f"{hours_text(summary.total_counted)} of the {hours_text(required)} hours count{shortfall}"
    alternatives = _other_windows(run, spec, summary)
    if alternatives:
        parts.append(alternatives)
    detail = f"{verdict}: " + "; ".join(parts) + "."
    return [run.requirement(spec, summary.missing == 0, detail)]
