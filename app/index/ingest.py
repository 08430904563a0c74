"""Build or refresh the index from the knowledge base, re-embedding only what changed."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from app.config import Settings
from app.embeddings import Embedder, get_embedder
from app.index.chunks import Chunk, build_chunks
from app.index.store import drop_collection, open_client, open_collection
from app.knowledge import load_knowledge

ProgressCallback = Callable[[int, int], None]


class IngestReport(BaseModel):
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    chunks: int = 0

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged ({self.chunks} chunks) in {self.seconds:.1f} s"
        )


@dataclass
class _Plan:
    new: list[Chunk]
    changed: list[Chunk]
    removed: list[str]
    unchanged: int


def knowledge_chunks(settings: Settings, embedder: Embedder) -> list[Chunk]:
    chunks: list[Chunk] = []
    for kb in load_knowledge(settings.knowledge_dir).values():
        chunks += build_chunks(kb, embedder.count_word_pieces)
    return chunks


def ingest(
    settings: Settings,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = 64,
) -> IngestReport:
    """Bring the collection in line with ``knowledge/``: add new, re-embed changed, delete removed."""
    started = time.perf_counter()
    embedder = embedder or get_embedder(settings.embedding_model_path, settings)
    chunks = knowledge_chunks(settings, embedder)
    with open_client(settings) as client:
        if rebuild:
            drop_collection(client, settings.collection)
        collection = open_collection(client, settings.collection, embedder)
        assert collection is not None

        stored = collection.get(include=["metadatas"])
        stored_hash = {i: (m or {}).get("hash") for i, m in zip(stored["ids"], stored["metadatas"] or [], strict=False)}
        wanted = {c.id: c for c in chunks}
        plan = _Plan(
            new=[c for c in chunks if c.id not in stored_hash],
            changed=[c for c in chunks if c.id in stored_hash and stored_hash[c.id] != c.content_hash],
            removed=[i for i in stored_hash if i not in wanted],
            unchanged=sum(1 for c in chunks if stored_hash.get(c.id) == c.content_hash),
        )
        if plan.removed:
            collection.delete(ids=plan.removed)
        todo = plan.new + plan.changed
        done = 0
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            vectors = embedder.embed([c.text for c in batch], batch_size=batch_size)
            collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata for c in batch],
                embeddings=vectors,
            )
            done += len(batch)
            if progress:
                progress(done, len(todo))
        _marker(settings).parent.mkdir(parents=True, exist_ok=True)
        _marker(settings).write_text(knowledge_fingerprint(settings) + "\n")
        return IngestReport(
            added=len(plan.new),
            updated=len(plan.changed),
            removed=len(plan.removed),
            unchanged=plan.unchanged,
            chunks=len(chunks),
            seconds=time.perf_counter() - started,
        )


MARKER = "index-knowledge.sha256"


def knowledge_fingerprint(settings: Settings) -> str:
    """What the index was built from: every file under knowledge/ and the embedding model's path."""
    digest = hashlib.sha256(str(settings.embedding_model_path or "bundled").encode())
    root = settings.knowledge_dir
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _marker(settings: Settings):
    return settings.data_dir / f"{settings.collection}.{MARKER}"


def index_is_current(settings: Settings) -> bool:
    """False when knowledge/ changed since the last ingest (or the index predates this check)."""
    marker = _marker(settings)
    return marker.is_file() and marker.read_text().strip() == knowledge_fingerprint(settings)


def index_exists(settings: Settings, client: Any = None) -> bool:
    """True when the collection exists and holds vectors (no model load needed to ask). ``client``: one
    already open (opening a store is most of the cost of this check)."""
    if client is None:
        with open_client(settings) as own:
            return index_exists(settings, own)
    names = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
    if settings.collection not in names:
        return False
    return client.get_collection(settings.collection).count() > 0
