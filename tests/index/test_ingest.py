"""Real model, real Chroma: incremental ingest, model check, retrieval filters."""

from __future__ import annotations

import pytest
import yaml

from app.config import Settings
from app.index.ingest import index_exists, ingest
from app.index.store import IndexMismatchError, make_client, open_collection
from app.retrieval.service import KnowledgeRetriever

pytestmark = pytest.mark.slow


@pytest.fixture
def fixture_settings(tmp_path, fixture_knowledge) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=fixture_knowledge)


def test_ingest_is_incremental(fixture_settings, fixture_knowledge, embedder):
    assert not index_exists(fixture_settings)
    first = ingest(fixture_settings, embedder=embedder)
    assert first.added == first.chunks > 0
    assert (first.updated, first.removed, first.unchanged) == (0, 0, 0)
    assert index_exists(fixture_settings)

    again = ingest(fixture_settings, embedder=embedder)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, first.chunks)

    # edit one criterion, delete one FAQ entry: exactly those chunks change
    path = fixture_knowledge / "cwi/standards.yaml"
    data = yaml.safe_load(path.read_text())
    data["standards"][0]["criteria"][0]["text"] = "Names each gauge and the date of its last calibration."
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (fixture_knowledge / "cwi/faq.md").write_text("# none\n")
    third = ingest(fixture_settings, embedder=embedder)
    assert (third.added, third.updated, third.removed) == (0, 1, 1)
    assert third.unchanged == first.chunks - 2

    collection = open_collection(make_client(fixture_settings), fixture_settings.collection, embedder)
    stored = collection.get(ids=["cwi:S1.C1"])
    assert "date of its last calibration" in stored["documents"][0]
    assert collection.get(ids=["cwi:faq.apprenticeship"])["ids"] == []


def test_rebuild_starts_from_scratch(fixture_settings, embedder):
    ingest(fixture_settings, embedder=embedder)
    report = ingest(fixture_settings, rebuild=True, embedder=embedder)
    assert report.added == report.chunks and report.unchanged == 0


def test_chunk_metadata_and_search_filters(fixture_settings, embedder):
    ingest(fixture_settings, embedder=embedder)
    collection = open_collection(make_client(fixture_settings), fixture_settings.collection, embedder)
    retriever = KnowledgeRetriever(fixture_settings, embedder)

    def dense(query: str, **kw):
        return retriever.search(query, mode="dense", floor=0.0, **kw)

    hits = dense("where do rejected widgets go", k=3, program="cwi")
    assert hits[0].metadata["standard"] == "S2"
    assert hits[0].metadata["kind"] in {"criterion", "standard"}
    assert hits[0].metadata["source"] == "W1"
    assert 0 < hits[0].score <= 1
    faq = dense("apprenticeship length", k=5, kinds=["faq"])
    assert [h.id for h in faq] == ["cwi:faq.apprenticeship"]
    assert dense("widgets", k=5, program="nope") == []
    uncertain = collection.get(ids=["cwi:rule.eligibility"])["metadatas"][0]
    assert uncertain["confidence"] == "uncertain"  # one of its parameters has disagreeing sources
    assert "rumour" in uncertain["note"].lower()


def test_opening_with_another_model_says_rebuild(fixture_settings, embedder):
    client = make_client(fixture_settings)
    client.create_collection(
        fixture_settings.collection,
        metadata={"hnsw:space": "cosine", "model_id": "some/other-model", "dimension": 768},
    )
    with pytest.raises(IndexMismatchError, match=r"certprep ingest --rebuild"):
        open_collection(client, fixture_settings.collection, embedder)
    report = ingest(fixture_settings, rebuild=True, embedder=embedder)
    assert report.added == report.chunks
    open_collection(make_client(fixture_settings), fixture_settings.collection, embedder)  # no error now


def test_persistence_survives_a_new_client(fixture_settings, embedder):
    first = ingest(fixture_settings, embedder=embedder)
    del first
    collection = open_collection(make_client(fixture_settings), fixture_settings.collection, embedder, create=False)
    assert collection is not None and collection.count() > 0
    assert collection.metadata["model_id"] == embedder.model_id
    assert collection.metadata["dimension"] == 384
