"""A citation's chunk id leads to the knowledge entry it was cut from, for every chunk of both programs."""

from __future__ import annotations

import pytest

from app.index.chunks import build_chunks
from app.knowledge import load_knowledge
from app.knowledge.locate import locate, source_names
from tests.conftest import SHIPPED_KNOWLEDGE


@pytest.fixture(scope="module")
def shipped_knowledge():
    return load_knowledge(SHIPPED_KNOWLEDGE)


def test_every_chunk_of_the_shipped_knowledge_is_located(shipped_knowledge):
    for kb in shipped_knowledge.values():
        for chunk in build_chunks(kb, lambda text: len(text.split())):
            place = locate(kb, chunk.id)
            assert place is not None, chunk.id
            assert place.text and place.text[:40].split()[0].lower() in chunk.text.lower(), chunk.id


def test_a_criterion_opens_its_standard_and_a_rule_the_rules(shipped_knowledge):
    cpt, cpo = shipped_knowledge["cpt"], shipped_knowledge["cpo"]
    place = locate(cpt, "cpt:S6.C2")
    assert (place.tab, place.standard, place.criterion) == ("Standards", "S6", "S6.C2")
    rule = locate(cpo, "cpo:rule.degree-credit#2")
    assert rule.tab == "Rules" and "75 for a bachelor's" in rule.text
    assert locate(cpo, "cpo:rule.no-such-rule") is None and locate(cpt, "cpt:S42") is None
    assert source_names(cpo, "N1,N2").startswith(cpo.source("N1").title)


def test_a_verdicts_source_reads_as_the_rule_and_its_sources_by_name(shipped_knowledge):
    from app.knowledge.locate import describe_source

    cpo = shipped_knowledge["cpo"]
    text = describe_source(cpo, "degree-credit (N2)")
    assert text == f"rule “Degree credit (not cumulative, at most 100 hours)”; sources: {cpo.source('N2').title} (N2)"
    assert describe_source(cpo, "something else") == "something else"
