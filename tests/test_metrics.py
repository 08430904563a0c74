import math

import pytest

from evaluation.metrics import ndcg_at, recall_at, reciprocal_rank


def test_recall_is_success_at_k():
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"c", "z"}, 3) == 1.0
    assert recall_at(ranked, {"c", "z"}, 2) == 0.0


def test_reciprocal_rank_uses_first_relevant():
    assert reciprocal_rank(["a", "b", "c"], {"b", "c"}) == 0.5
    assert reciprocal_rank(["a", "b", "c"], {"x"}) == 0.0
    assert reciprocal_rank(["a"] * 10 + ["x"], {"x"}, k=10) == 0.0


def test_ndcg_binary():
    assert ndcg_at(["x", "y"], {"x", "y"}) == pytest.approx(1.0)
    assert ndcg_at(["a", "x"], {"x"}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at(["a"], set()) == 0.0
