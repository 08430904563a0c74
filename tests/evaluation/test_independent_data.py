"""The independent data is what the generalization claims rest on: every item is well formed, its sentence
labels line up with the segmenter, its readers are kept, and training never reads the test authors."""

from __future__ import annotations

from collections import Counter

from app.documents import segment
from evaluation.independent_data import RETIRED, TEST_SETS, load_independent, load_test_set, open_test_sets
from evaluation.train_evidence import training_texts

STANDARDS = {f"S{i}" for i in range(1, 11)}


def test_every_item_is_labelled_sentence_by_sentence_and_by_three_readers_where_they_differed():
    items = load_independent()
    assert len(items) >= 250
    for item in items:
        assert len(item.sentences) == len(segment(item.text).sentences), item.id
        assert set(item.labels) <= STANDARDS
        for sid in STANDARDS:
            writer, labeller = item.readers.writer.get(sid, "missing"), item.readers.labeller.get(sid, "missing")
            if writer == labeller:
                assert item.label(sid) == writer, f"{item.id} {sid}: agreed label not kept"
                assert sid not in item.readers.adjudicator
            else:
                assert item.label(sid) == item.readers.adjudicator[sid], f"{item.id} {sid}: dispute not adjudicated"


def test_dev_and_the_open_test_set_have_every_style_by_different_authors():
    dev, test = load_independent("dev"), load_independent("test5")
    styles = {"case3p", "resume", "nonnative", "interleaved", "novocab", "hardneg", "projects"}
    assert set(Counter(x.style for x in dev)) == styles == set(Counter(x.style for x in test))
    assert not {x.author for x in dev} & {x.author for x in test}
    assert all(x.author.split("-")[0] in {"A", "A2", "A3", *RETIRED} for x in dev)
    assert all(x.author.startswith("F-") for x in test) and len(test) == 125


def test_training_reads_the_development_authors_and_retired_test_sets_but_never_an_open_one():
    ids = {t.id for t in training_texts()}
    assert {x.id for x in load_independent("dev")} <= ids
    for name in TEST_SETS:
        written = {x.id for x in load_test_set(name)}
        assert len(written) == 125, name
        if name in RETIRED:  # spent test sets are development data now, every text of them
            assert written <= ids and {x.split for x in load_test_set(name)} == {"dev"}
        else:
            assert not written & ids and not any(i.startswith(f"{name}-") for i in ids)
    assert "F" in open_test_sets() and not RETIRED & set(open_test_sets())


def test_another_programs_batches_are_checked_the_same_way_and_its_test_authors_never_trained_on():
    from evaluation.independent_data import INDEPENDENT

    items = load_independent(path=INDEPENDENT / "pmp")
    pmp = {f"S{i}" for i in range(1, 7)}
    for item in items:
        assert item.program == "pmp" and len(item.sentences) == len(segment(item.text).sentences), item.id
        assert set(item.labels) <= pmp
        for sid in pmp:
            writer, labeller = item.readers.writer.get(sid, "missing"), item.readers.labeller.get(sid, "missing")
            assert item.label(sid) == (writer if writer == labeller else item.readers.adjudicator[sid]), item.id
    dev = [x for x in items if x.split == "dev"]
    test = [x for x in items if x.split == "test"]
    assert len(test) >= 120 and all(x.author.startswith("P-") for x in test)
    assert all(x.author.startswith("PD-") for x in dev)
    assert {x.style for x in dev} == {x.style for x in test}
    ids = {t.id for t in training_texts("pmp")}
    assert ids == {x.id for x in dev} and not ids & {x.id for x in test}


def test_the_data_pilot_compared_the_old_development_set_with_it_plus_three_retired_sets_on_a_fourth():
    from evaluation.data_pilot import pilot_sets

    before, added, target = pilot_sets()
    assert (len(before), len(added), len(target)) == (551, 375, 125)
    assert not {t.id for t in before + added} & {t.id for t in target}
    assert {t.group.split("-")[0] for t in added} == {"B", "C", "D"}
