"""Exported verdicts become training data: which sentence labels they give, that they never choose
thresholds, and that training on them is reproducible (seeded; same data, same weights on one machine)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from evaluation import train_evidence as te
from evaluation.train_evidence import Text, fold_of, training_texts

pytestmark = pytest.mark.slow

STANDARDS = ["S1", "S2", "S3"]
ITEM = {
    "id": "RV-abc-1",
    "program": "cpt",
    "author": "RV-abc",
    "style": "reviewed",
    "kind": "project",
    "text": "We agreed a target of four minutes.\n\nI measured the wait for a week.\n\nWe plan to survey staff.",
    "labels": {"S1": "demonstrated", "S2": "partial"},
    "judged": ["S1", "S2", "S3"],
    "sentences": [["S1"], [], []],
}


@pytest.fixture
def reviews(tmp_path):
    path = tmp_path / "reviews.yaml"
    second = {**ITEM, "id": "RV-abc-2", "judged": ["S1"], "labels": {}, "sentences": [[], [], []]}
    path.write_text(yaml.safe_dump([ITEM, second]))
    return path


def test_verdicts_label_only_what_the_reviewer_judged(reviews):
    texts = training_texts("cpt", reviews)
    first, second = texts[0], texts[1]
    assert first.judged == ["S1", "S2", "S3"] and len(texts) > 100  # the development texts follow
    mask = first.known(STANDARDS)
    # S1 judged present: only the sentence the reviewer relied on; S2 present but no sentence named: nothing;
    # S3 judged missing: every sentence a negative
    assert mask.tolist() == [[1, 0, 1], [0, 0, 1], [0, 0, 1]]
    assert second.known(STANDARDS).tolist() == [[1, 0, 0]] * 3  # only S1 judged, missing
    plain = Text("p", "A-case3p", "case3p", ["a", "b"], [set(), {"S2"}], {"S2": "demonstrated"})
    assert plain.known(STANDARDS).tolist() == [[1, 1, 1]] * 2
    authors = sorted({t.group for t in texts if t.group != "existing" and t.judged is None})
    assert "RV-abc" not in authors
    assert fold_of(first, authors) == -1  # trained on in every fold, never scored
    assert {fold_of(t, authors) for t in texts if t.judged is None} == {0, 1, 2, 3}


def test_a_file_that_is_not_an_export_is_refused(tmp_path):
    path = tmp_path / "not-reviews.yaml"
    path.write_text(yaml.safe_dump([{k: v for k, v in ITEM.items() if k != "judged"}]))
    with pytest.raises(ValueError, match="not an export of reviewer verdicts"):
        training_texts("cpt", path)


def test_training_on_verdicts_is_reproducible(reviews, monkeypatch):
    from app.embeddings import bundled_model_path

    monkeypatch.setattr(te, "EPOCHS", 1)
    texts = training_texts("cpt", reviews)[:2] + [t for t in training_texts("cpt") if t.group == "existing"][:6]
    weights = []
    for _ in range(2):
        network, _ = te.fit(texts, STANDARDS, bundled_model_path(), log=lambda line: None)
        weights.append({k: v.detach().numpy().copy() for k, v in network.tuned_state().items()})
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        # the same run twice in one process; a tolerance, not bytes, in case a BLAS splits sums by thread
        np.testing.assert_allclose(weights[0][key], weights[1][key], rtol=0, atol=1e-6, err_msg=key)
    # and the verdicts are learnt from: without them the network differs
    network, _ = te.fit(texts[2:], STANDARDS, bundled_model_path(), log=lambda line: None)
    other = {k: v.detach().numpy() for k, v in network.tuned_state().items()}
    assert max(float(np.abs(other[k] - weights[0][k]).max()) for k in other) > 1e-4
