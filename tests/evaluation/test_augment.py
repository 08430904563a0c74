"""Rewrites are training data derived from development texts: their labels must line up sentence for
sentence, negatives must carry none, and cross-validation must never train on a rewrite of a text it scores."""

from __future__ import annotations

from collections import Counter

import numpy as np
import yaml

from evaluation import augment
from evaluation.independent_data import load_test_set, open_test_sets
from evaluation.train_evidence import FOLDS, fold_of, training_texts


def _source(style: str, variant: str) -> dict:
    return next(s for s in augment.sources() if s["style"] == style and s["variant"] == variant)


def test_only_development_texts_are_rewritten_and_each_gets_one_fixed_variant():
    sources = augment.sources()
    held_out = {x.id for name in open_test_sets() for x in load_test_set(name)}
    assert len(held_out) >= 125
    assert not {s["id"] for s in sources} & held_out
    assert len({s["id"] for s in sources}) == len(sources)
    assert [s["variant"] for s in sources] == [s["variant"] for s in augment.sources()]
    counts = Counter(s["variant"] for s in sources)
    assert set(counts) == set(augment.VARIANTS) and min(counts.values()) >= 40
    # a text that is already a hard negative is given other voices, never turned into a plan
    assert all(s["variant"] not in augment.NEGATIVE for s in sources if s["style"] == "hardneg")


def test_collect_carries_labels_over_drops_misaligned_rewrites_and_clears_negatives(tmp_path, capsys):
    plain = _source("interleaved", "plain")
    planned = _source("interleaved", "planned")
    short = _source("case3p", "plain")
    rows = [
        {"id": plain["id"], "sentences": [f"rewritten {k}" for k in range(len(plain["sentences"]))]},
        {"id": planned["id"], "sentences": [f"we will {k}" for k in range(len(planned["sentences"]))]},
        {"id": short["id"], "sentences": ["only one sentence"] * (len(short["sentences"]) - 1)},
    ]
    path = tmp_path / "out.yaml"
    path.write_text(yaml.safe_dump(rows))
    out = {r.source: r for r in augment.collect([path])}
    assert set(out) == {plain["id"], planned["id"]}
    assert out[plain["id"]].sentence_labels == [list(x) for x in plain["labels"]]
    assert any(out[plain["id"]].sentence_labels)  # an interleaved text carries evidence
    assert out[planned["id"]].sentence_labels == [[] for _ in planned["sentences"]]
    assert f"{short['id']}: {len(short['sentences']) - 1} sentences" in capsys.readouterr().err


def test_a_rewrite_trains_with_its_source_and_is_never_scored():
    texts = training_texts(rewrites=True)
    rewrites = [t for t in texts if t.rewrite]
    assert len(rewrites) >= 500
    by_id = {t.id: t for t in texts}
    authors = sorted({t.group for t in texts if t.group != "existing" and t.judged is None})
    for r in rewrites:
        source = by_id[r.id.split("~")[0]]
        assert fold_of(r, authors) == fold_of(source, authors)
        assert len(r.sentences) == len(source.sentences) and r.style == source.style
    assert {fold_of(t, authors) for t in rewrites} == set(range(FOLDS))
    negatives = [t for t in rewrites if t.id.endswith(("~planned", "~someone_else"))]
    assert negatives and not any(np.any([bool(x) for x in t.sentence_labels]) for t in negatives)
    assert len(texts) - len(rewrites) == len(training_texts(rewrites=False))
