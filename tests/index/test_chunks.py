"""Chunks follow the knowledge's structure and fit the model's window."""

from __future__ import annotations

from collections import Counter

import pytest

from app.embeddings import MAX_WORD_PIECES
from app.index.chunks import CHUNK_KINDS, build_chunks
from app.knowledge import load_knowledge
from tests.conftest import SHIPPED_KNOWLEDGE


@pytest.fixture(scope="module")
def chunks(embedder):
    out = []
    for kb in load_knowledge(SHIPPED_KNOWLEDGE).values():
        out += build_chunks(kb, embedder.count_word_pieces)
    return out


def test_every_chunk_fits_the_model_window(chunks, embedder):
    longest = max(chunks, key=lambda c: embedder.count_word_pieces(c.text))
    assert embedder.count_word_pieces(longest.text) < MAX_WORD_PIECES, longest.id


def test_ids_are_unique_and_kinds_known(chunks):
    counts = Counter(c.id for c in chunks)
    assert [i for i, n in counts.items() if n > 1] == []
    assert {c.kind for c in chunks} <= set(CHUNK_KINDS)


def test_structure_one_chunk_per_criterion_principle_and_faq(chunks):
    kbs = load_knowledge(SHIPPED_KNOWLEDGE)
    cpt = kbs["cpt"]
    criteria = [c for c in chunks if c.program == "cpt" and c.kind == "criterion"]
    assert len(criteria) == sum(len(s.criteria) for s in cpt.standards)
    s6 = next(c for c in chunks if c.id == "cpt:S6.C1")
    assert s6.standard == "S6" and s6.kind == "criterion" and "Standard 6" in s6.text
    assert len([c for c in chunks if c.program == "cpt" and c.kind == "faq"]) == len(cpt.faq)
    ethics = [c for c in chunks if c.program == "cpt" and c.kind == "ethics"]
    assert len(ethics) == 1 + len(cpt.ethics.principles)


def test_metadata_carries_provenance(chunks):
    for chunk in chunks:
        meta = chunk.metadata
        assert meta["program"] in {"cpt", "cpo", "pmp"}
        assert meta["source"] and meta["confidence"] in {"confirmed", "uncertain"} and meta["as_of"]
        if meta["confidence"] == "uncertain":
            assert meta["note"], chunk.id


def test_disagreeing_sources_are_visible_in_the_rule_text(chunks):
    window = [c for c in chunks if c.program == "cpo" and "five_years" not in c.id and "Sources disagree" in c.text]
    assert window, "rules with several options must say that sources disagree"
    assert all(c.confidence == "uncertain" for c in window)
