"""The generalization report counts what the issue asks for: a hard negative marked demonstrated is a
miss, a style's figure is its own, and each test set keeps its own results and count of looks."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from evaluation import generalization
from evaluation.cli import app
from evaluation.independent_data import IndependentItem

IDS = ["S1", "S5", "S6"]


def _item(i: int, style: str, kind: str, labels: dict) -> IndependentItem:
    return IndependentItem(
        id=f"X-{style}-{i:02d}", author=f"X-{style}", style=style, kind=kind, text="x.", labels=labels, sentences=[[]]
    )


def test_a_watched_cause_marked_demonstrated_counts_against_the_engine_and_styles_are_scored_apart():
    items = [
        _item(1, "hardneg", "someone_else", {"S6": "partial", "S5": "demonstrated"}),
        _item(2, "case3p", "evidence", {"S1": "demonstrated", "S5": "demonstrated", "S6": "demonstrated"}),
    ]
    pred = np.array([[False, True, True], [True, True, False]])
    out = generalization.report(items, {"engine": pred}, IDS)["engine"]
    assert out["hard_negatives"] == {"pairs": 1, "marked_demonstrated": 1, "ids": ["X-hardneg-01 S6"]}
    assert out["by_style"]["hardneg"]["per_standard"]["S5"]["f1"] == 1.0
    assert out["by_style"]["case3p"]["per_standard"]["S6"]["recall"] == 0.0
    assert out["dense_texts"] == {"texts": 1, "recall": round(2 / 3, 4)}
    assert out["worst_style"] == "hardneg"  # S6 a false positive there; case3p loses only its S6


def test_each_test_set_has_its_own_authors_results_file_and_retired_or_unknown_sets_are_refused():
    from evaluation.independent_data import TEST_SETS, load_test_set

    assert sorted(TEST_SETS) == ["B", "C", "D", "E", "F"]
    for name in TEST_SETS:
        texts = load_test_set(name)
        assert len(texts) == 125, name
        assert {x.author.split("-")[0] for x in texts} == {name}
    assert generalization.results_path("cpt", "B").name == "generalization.json"
    assert generalization.results_path("cpt", "C").name == "generalization_C.json"
    assert generalization.results_path("cpt", "F").name == "generalization_F.json"
    result = CliRunner().invoke(app, ["generalization", "--test-set", "G"])
    assert result.exit_code == 2 and "--test-set must be one of ['F'], not 'G'" in result.output
    # a retired set is development data: measuring the engine on it again would be measuring fit
    result = CliRunner().invoke(app, ["generalization", "--test-set", "D"])
    assert result.exit_code == 2 and "D-* is development data now" in " ".join(result.output.split())
