"""Dense (embedding) search in the Chroma collection."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.embeddings import Embedder


class Hit(BaseModel):
    id: str
    text: str
    score: float
    metadata: dict[str, Any]


def where_clause(program: str | None = None, kinds: list[str] | None = None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if program:
        clauses.append({"program": program})
    if kinds:
        clauses.append({"kind": {"$in": list(kinds)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def dense_search(
    collection: Any,
    embedder: Embedder,
    query: str,
    k: int = 10,
    program: str | None = None,
    kinds: list[str] | None = None,
) -> list[Hit]:
    """Top-k chunks by cosine similarity (score = 1 - cosine distance)."""
    result = collection.query(
        query_embeddings=[embedder.embed_query(query)],
        n_results=k,
        where=where_clause(program, kinds),
        include=["documents", "metadatas", "distances"],
    )
    return [
        Hit(id=i, text=doc, score=1.0 - dist, metadata=meta or {})
        for i, doc, meta, dist in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        )
    ]
