"""Hybrid retrieval on the fixture program: fusion, filters, floor, cache, LangChain interface."""

from __future__ import annotations

import pytest
import yaml

from app.config import Settings
from app.index.ingest import ingest
from app.retrieval.answer import NOT_COVERED, compose_answer
from app.retrieval.langchain_retriever import CertprepRetriever
from app.retrieval.service import KnowledgeRetriever
from app.tokens import tokenize

pytestmark = pytest.mark.slow


@pytest.fixture
def retriever(tmp_path, fixture_knowledge, embedder) -> KnowledgeRetriever:
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=fixture_knowledge)
    return KnowledgeRetriever(settings, embedder)


def test_tokenizer_normalises_numbers_and_plurals():
    assert tokenize("1,500 paid hours, CEUs and attestations") == ["1500", "paid", "hour", "ceu", "attest"]


def test_tokenizer_stems_singular_and_plural_alike():
    # the old suffix stripper turned "examples" into "exampl" but left "example" alone, so they never met
    assert tokenize("example measures practices") == tokenize("examples measure practice")
    assert tokenize("CPTs") == tokenize("CPT") == ["cpt"]


def test_bm25_cache_of_another_tokenizer_is_not_reused(tmp_path):
    from app.retrieval import lexical

    ids, hashes, texts = ["a", "b"], ["1", "2"], ["worked examples", "paid hours"]
    old_key = lexical.fingerprint(ids, hashes)  # the cache key before tokenizer versions existed
    stale = lexical.LexicalIndex(ids, ["zzz", "zzz"])
    stale.save(tmp_path / old_key)
    index = lexical.lexical_index(tmp_path, ids, hashes, texts)
    assert index.scores("example")[0] > 0
    assert not (tmp_path / old_key).exists()


def test_retriever_builds_missing_index(retriever):
    assert retriever.chunk_count == 22


def test_each_mode_finds_the_reject_criteria(retriever):
    for mode in ("dense", "bm25", "hybrid"):
        hits = retriever.search("quarantine cage for rejected widgets", program="cwi", k=3, mode=mode)
        assert hits[0].id == "cwi:S2.C2", mode


def test_bm25_catches_exact_terms_dense_blurs(retriever):
    hits = retriever.search("micrometer", program="cwi", k=3, mode="hybrid")
    assert hits[0].id == "cwi:S1.examples"


def test_kind_filter(retriever):
    hits = retriever.search("tolerance", program="cwi", kinds=["faq"], k=5)
    assert all(h.metadata["kind"] == "faq" for h in hits)


def test_relevance_floor_returns_nothing_for_unrelated_questions(retriever):
    assert retriever.search("What is the capital of Mongolia?", program="cwi") == []
    answer = compose_answer("What is the capital of Mongolia?", "cwi", [])
    assert answer.citations == [] and answer.answer == NOT_COVERED and answer.confidence == "none"


def test_empty_question_is_an_error(retriever):
    with pytest.raises(ValueError, match="empty"):
        retriever.search("   ")


def test_bm25_cache_is_reused_and_refreshed_on_change(retriever, fixture_knowledge, embedder):
    cache = retriever.settings.data_dir / "bm25"
    first = sorted(p.name for p in cache.iterdir())
    assert len(first) == 1
    assert not retriever.refresh()  # nothing changed
    path = fixture_knowledge / "cwi/faq.md"
    path.write_text(path.read_text().replace("two years", "three years"))
    ingest(retriever.settings, embedder=embedder)
    assert retriever.refresh()
    second = sorted(p.name for p in cache.iterdir())
    assert len(second) == 1 and second != first
    hit = retriever.search("apprenticeship length in years", program="cwi", kinds=["faq"], k=1)[0]
    assert "three years" in hit.text


def test_langchain_interface(retriever):
    lc = CertprepRetriever(core=retriever, program="cwi", k=2)
    docs = lc.invoke("how are rejects reported to the line lead")
    assert len(docs) == 2
    assert docs[0].metadata["standard"] == "S2"
    assert docs[0].metadata["id"].startswith("cwi:")
    assert 0 < docs[0].metadata["score"] <= 1


def test_composed_answer_cites_the_top_passage(retriever):
    hits = retriever.search("What does an inspector do with widgets outside tolerance?", program="cwi", k=3)
    answer = compose_answer("q", "cwi", hits)
    assert answer.answer.splitlines()[0].endswith("[1]")
    assert answer.citations[0].source == "W1"
    assert set(answer.public()) == {"question", "program", "answer", "citations", "confidence"}


def test_uncertain_rule_is_flagged_in_the_answer(retriever):
    hits = retriever.search("how many projects must show each standard", program="cwi", kinds=["eligibility"], k=1)
    answer = compose_answer("q", "cwi", hits)
    assert answer.citations[0].confidence == "uncertain"
    assert "uncertain" in answer.answer


def test_data_change_reaches_answers_without_code_change(tmp_path, fixture_knowledge, embedder):
    path = fixture_knowledge / "cwi/rules.yaml"
    data = yaml.safe_load(path.read_text())
    data["rules"][0]["text"] = "Applicants need five years of widget inspection and two projects."
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    settings = Settings(data_dir=tmp_path / "d2", knowledge_dir=fixture_knowledge)
    retriever = KnowledgeRetriever(settings, embedder)
    hits = retriever.search("years of inspection experience", program="cwi", kinds=["eligibility"], k=1)
    assert "five years" in hits[0].text


def test_a_repeated_question_is_embedded_once(retriever, monkeypatch):
    seen = []
    embed = retriever.embedder.embed_query
    monkeypatch.setattr(retriever.embedder, "embed_query", lambda text: seen.append(text) or embed(text))
    first = retriever.search("quarantine cage for rejected widgets", program="cwi", k=1)
    again = retriever.search("quarantine cage for rejected widgets", program="cwi", k=5)
    assert seen == ["quarantine cage for rejected widgets"]
    assert again[0].id == first[0].id == "cwi:S2.C2"
    retriever.forget_queries()
    retriever.search("quarantine cage for rejected widgets", program="cwi", k=1)
    assert len(seen) == 2
