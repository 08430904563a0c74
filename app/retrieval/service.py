"""The retrieval entry point the CLI, the assistant and the UI share."""

from __future__ import annotations

from app.config import Settings
from app.embeddings import get_embedder
from app.index.ingest import index_exists, ingest
from app.index.store import make_client, open_collection
from app.retrieval.dense import Hit, dense_search


def search(
    settings: Settings, question: str, program: str | None = None, k: int = 5, kinds: list[str] | None = None
) -> list[Hit]:
    """Top passages for a question; builds the index first if it is missing."""
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    embedder = get_embedder(settings.embedding_model_path)
    if not index_exists(settings):
        ingest(settings, embedder=embedder)
    collection = open_collection(make_client(settings), settings.collection, embedder, create=False)
    assert collection is not None
    return dense_search(collection, embedder, question, k=k, program=program, kinds=kinds)
