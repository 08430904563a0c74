"""One program interface: every check type in checks.yaml has exactly one evaluator and is documented."""

from __future__ import annotations

import typing

from app.config import REPO_ROOT
from app.eligibility.evaluators import EVALUATORS
from app.knowledge.checks import EligibilityCheck


def _check_types() -> list[type]:
    union = typing.get_args(EligibilityCheck)[0]
    return list(typing.get_args(union))


def test_every_check_type_has_an_evaluator_and_a_line_in_the_knowledge_readme():
    readme = (REPO_ROOT / "knowledge" / "README.md").read_text(encoding="utf-8")
    types = _check_types()
    assert len(types) == 9
    assert set(EVALUATORS) == set(types)
    for spec in types:
        name = typing.get_args(spec.model_fields["type"].annotation)[0]
        assert f"| `{name}` |" in readme, name


def test_no_code_asks_which_program_it_is():
    """Programs are data: no `program == "cpt"` branch, no engine per program, anywhere in app/."""
    offenders = []
    for path in (REPO_ROOT / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ('== "cpt"', '== "cpo"', '== "pmp"', "'cpt'", "'cpo'", "check_cpo", "check_cpt"):
            if needle in text:
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {needle}")
    assert offenders == []
