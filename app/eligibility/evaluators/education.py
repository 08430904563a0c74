"""Education: a minimum level of schooling, hours of formal instruction, and signed agreements."""

from __future__ import annotations

from app.eligibility.evaluators import evaluates
from app.eligibility.evaluators.base import Run
from app.eligibility.facts import EDUCATION_LEVELS, education_rank
from app.eligibility.models import Requirement, hours_text
from app.knowledge.checks import Agreement, EducationHours, EducationMinimum


def level_text(level: str) -> str:
    return level.replace("_", " ")


@evaluates(EducationMinimum)
def education_minimum(spec: EducationMinimum, run: Run) -> list[Requirement]:
    minimum = str(run.value(spec.minimum))
    stated = run.facts.education
    if stated is None:
        return [run.requirement(spec, False, "Education not stated.")]
    if stated not in EDUCATION_LEVELS:
        raise ValueError(f"unknown education level {stated!r}; use one of {', '.join(EDUCATION_LEVELS)}")
    met = education_rank(stated) >= education_rank(minimum)
    detail = f"Stated education: {level_text(stated)}; the minimum is {level_text(minimum)}."
    return [run.requirement(spec, met, detail)]


@evaluates(Agreement)
def agreement(spec: Agreement, run: Run) -> list[Requirement]:
    needed = bool(run.value(spec.required))
    agreed = run.facts.ethics_agreed is True
    return [run.requirement(spec, (not needed) or agreed, spec.met_text if agreed else spec.unmet_text)]


@evaluates(EducationHours)
def education_hours(spec: EducationHours, run: Run) -> list[Requirement]:
    required = float(run.value(spec.required))
    accepted = [str(a) for a in run.value(spec.alternatives)] if spec.alternatives else []
    held = [c for c in run.facts.credentials if c in accepted]
    hours = run.facts.education_hours
    if held:
        detail = f"Holds {', '.join(h.upper() for h in held)}, accepted instead of the {hours_text(required)} hours."
        return [run.requirement(spec, True, detail)]
    if hours is None:
        instead = f" (or hold {', '.join(a.upper() for a in accepted)})" if accepted else ""
        return [
            run.requirement(spec, False, f"No hours of instruction given; {hours_text(required)} are needed{instead}.")
        ]
    met = hours >= required
    detail = f"{hours_text(hours)} of the {hours_text(required)} hours of instruction" + (
        "." if met else f"; {hours_text(required - hours)} still needed."
    )
    return [run.requirement(spec, met, detail)]
