"""Date arithmetic the rules depend on, with the leap-day cases spelled out."""

from __future__ import annotations

from datetime import date


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def parse_date(text: str) -> date:
    """ISO dates (YYYY-MM-DD) only: ambiguous formats like 03/04/2025 are rejected, not guessed."""
    return date.fromisoformat(text.strip())
