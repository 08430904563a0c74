"""Months of experience from roles, overlaps counted once, optionally only inside a window before
applying, against a minimum that may depend on education."""

from __future__ import annotations

import datetime as dt

from app.eligibility.evaluators import evaluates
from app.eligibility.evaluators.base import Run
from app.eligibility.evaluators.education import level_text
from app.eligibility.facts import RoleSpan
from app.eligibility.models import Requirement
from app.knowledge.checks import ExperienceMonths


def month_index(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def experience_months(
    roles: list[RoleSpan], applied_on: dt.date, first_month: int | None = None
) -> tuple[int, int, list[str]]:
    """Calendar months covered by at least one role, up to the application month (both ends inclusive),
    from ``first_month`` on when a window applies. Returns (months, overlapping months, warnings)."""
    warnings: list[str] = []
    last = applied_on.year * 12 + applied_on.month - 1
    covered: set[int] = set()
    total = 0
    for role in roles:
        start = month_index(role.start)
        end = month_index(role.end) if role.end else last
        if end > last:
            warnings.append(f"{role.role}: ends after the application date; counted up to {applied_on:%Y-%m}")
            end = last
        if start > last:
            warnings.append(f"{role.role}: starts after the application date; not counted")
            continue
        if first_month is not None:
            start = max(start, first_month)
        if end < start:
            continue
        months = range(start, end + 1)
        total += len(months)
        covered.update(months)
    return len(covered), total - len(covered), warnings


def _required_months(spec: ExperienceMonths, run: Run) -> tuple[int, str, list[str]]:
    """(months, the minimum in words, the parameters it rests on)."""
    if spec.required_years is not None:
        years = float(run.value(spec.required_years))
        return round(years * 12), f"{years:g} years", [spec.required_years]
    table = {str(k): int(v) for k, v in run.value(spec.required_months_by_education).items()}
    used = [spec.required_months_by_education]
    education = run.facts.education
    months = table.get(education) if education else None
    why = f"with {level_text(education)} education" if months is not None else ""
    if spec.credential_months:
        for credential, value in run.value(spec.credential_months).items():
            if credential in run.facts.credentials and (months is None or int(value) < months):
                months, why = int(value), f"with {credential.replace('_', ' ')}"
                used.append(spec.credential_months)
    if months is None:  # education unknown: the strictest path until it is stated
        months = max(table.values())
        why = "until the education level is stated, the longest path"
    return months, f"{months} months {why}", used


@evaluates(ExperienceMonths)
def experience(spec: ExperienceMonths, run: Run) -> list[Requirement]:
    facts = run.facts
    need, need_text, used = _required_months(spec, run)
    params = [*used, *([spec.window_years] if spec.window_years else [])]
    first = None
    window = ""
    if spec.window_years:
        years = int(run.value(spec.window_years))
        first = facts.applied_on.year * 12 + facts.applied_on.month - 1 - years * 12 + 1
        window = f" within the {years} years before applying (from {_month_text(first)})"
    if facts.experience:
        months, overlap, notes = experience_months(facts.experience, facts.applied_on, first)
        run.warnings.extend(notes)
        detail = f"{months} months ({months / 12:.1f} years) of experience{window} up to {facts.applied_on:%Y-%m}"
        if overlap > 0:
            detail += f"; {overlap} overlapping month(s) counted once"
        detail += f"; the minimum is {need_text}."
        met = months >= need
    elif facts.experience_years is not None:
        months = round(facts.experience_years * 12, 1)
        detail = f"{months:g} months ({facts.experience_years:.1f} years) of experience stated; "
        detail += f"the minimum is {need_text}."
        met = months >= need
    else:
        detail, met = "No experience given (list roles with start and end months).", False
    return [run.requirement(spec, met, detail, params)]
