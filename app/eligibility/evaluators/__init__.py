"""One evaluator per check type of ``checks.yaml``, registered here; the engine runs a program's checks
through this registry and never asks which program it is."""

from __future__ import annotations

from collections.abc import Callable

from app.eligibility.evaluators.base import Run
from app.eligibility.models import Requirement
from app.knowledge.checks import CheckSpec

Evaluator = Callable[[CheckSpec, Run], list[Requirement]]
EVALUATORS: dict[type[CheckSpec], Evaluator] = {}


def evaluates(spec_type: type[CheckSpec]) -> Callable[[Evaluator], Evaluator]:
    def register(function: Evaluator) -> Evaluator:
        EVALUATORS[spec_type] = function
        return function

    return register


def evaluate(spec: CheckSpec, run: Run) -> list[Requirement]:
    try:
        evaluator = EVALUATORS[type(spec)]
    except KeyError:
        raise NotImplementedError(f"no evaluator for check type {type(spec).__name__}") from None
    return evaluator(spec, run)


# the modules register their evaluators on import
from app.eligibility.evaluators import education, experience, hours, projects  # noqa: E402, F401
