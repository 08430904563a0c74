"""The one retrieval service: dense search in Chroma plus BM25, fused with reciprocal rank fusion.

The assistant, the CLI, the UI and the evaluation all search through ``KnowledgeRetriever``; LangChain
code gets the same service through its adapter (``langchain_retriever.CertprepRetriever``). One retriever
per process holds the collection handle, the chunk table (for BM25 and filters) and the lexical index; it
reloads them only when the index's fingerprint changes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from app.config import ChromaMode, Settings
from app.embeddings import Embedder, get_embedder
from app.index.ingest import index_exists, index_is_current, ingest
from app.index.store import StoreUnavailableError, close_client, forget_local_stores, make_client, open_collection
from app.retrieval.lexical import LexicalIndex, fingerprint, lexical_index

Mode = Literal["hybrid", "dense", "bm25"]
log = logging.getLogger(__name__)


class Hit(BaseModel):
    id: str
    text: str
    score: float
    metadata: dict[str, Any]


def where_clause(program: str | None = None, kinds: list[str] | None = None) -> dict[str, Any] | None:
    """Chroma's filter for a program and chunk kinds."""
    clauses: list[dict[str, Any]] = []
    if program:
        clauses.append({"program": program})
    if kinds:
        clauses.append({"kind": {"$in": list(kinds)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass
class _Table:
    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    fingerprint: str
    lexical: LexicalIndex


class KnowledgeRetriever:
    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder or get_embedder(settings.embedding_model_path, settings)
        self.notices: list[str] = []
        self._lock = threading.Lock()
        # an answer searches the same question more than once (a relevance probe, then the passages):
        # the model runs once per question text; kept in memory only, never written anywhere
        self._query_vector = functools.lru_cache(maxsize=256)(self._embed_query)
        try:
            self._open()
        except Exception as exc:
            if settings.chroma_mode is not ChromaMode.embedded or not settings.chroma_dir.exists():
                raise
            self._rebuild_broken(exc)

    def _open(self) -> None:
        self._client = make_client(self.settings)  # held from here: the checks and an ingest share its store
        if not index_exists(self.settings, self._client):
            ingest(self.settings, embedder=self.embedder)
        elif not index_is_current(self.settings):
            report = ingest(self.settings, embedder=self.embedder)
            if report.added or report.updated or report.removed:
                notice = (
                    f"The search index was out of date with the knowledge base; updated it ({report.added} added, "
                    f"{report.updated} updated, {report.removed} removed)."
                )
                log.warning(notice)
                self.notices.append(notice)
        self.collection = open_collection(self._client, self.settings.collection, self.embedder, create=False)
        if self.collection is None:
            raise RuntimeError("the index could not be opened")
        self._table = self._load_table()

    def _rebuild_broken(self, exc: Exception) -> None:
        """A corrupt or unreadable local index is set aside (not deleted) and rebuilt from knowledge/."""
        broken = self.settings.chroma_dir.with_name(f"chroma.broken-{time.strftime('%Y%m%d-%H%M%S')}")
        close_client(getattr(self, "_client", None))
        forget_local_stores()
        shutil.move(self.settings.chroma_dir, broken)
        shutil.rmtree(self.settings.data_dir / "bm25", ignore_errors=True)
        notice = (
            f"The search index could not be opened ({type(exc).__name__}); it was moved to {broken.name} "
            "and rebuilt from the knowledge base."
        )
        log.warning(notice)
        self.notices.append(notice)
        self._open()

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """A Chroma server that went away after the index was opened is the index being unavailable, said so
        plainly; rules, eligibility checks and saved work do not depend on it."""
        try:
            yield
        except Exception as exc:
            if self.settings.chroma_mode is ChromaMode.embedded:
                raise
            raise StoreUnavailableError(
                f"the knowledge index is unavailable: cannot reach the Chroma server at {self.settings.chroma_url} "
                f"({type(exc).__name__}). Eligibility checks and saved work are not affected; try again shortly."
            ) from exc

    def _load_table(self) -> _Table:
        stored = self.collection.get(include=["documents", "metadatas"])
        ids, texts = list(stored["ids"]), list(stored["documents"] or [])
        metas = [dict(m or {}) for m in stored["metadatas"] or []]
        hashes = [str(m.get("hash", "")) for m in metas]
        lexical = lexical_index(self.settings.data_dir / "bm25", ids, hashes, texts)
        return _Table(ids, texts, metas, fingerprint(ids, hashes), lexical)

    def refresh(self) -> bool:
        """Reload the chunk table and BM25 if the index changed since we loaded it."""
        stored = self.collection.get(include=["metadatas"])
        current = fingerprint(list(stored["ids"]), [str((m or {}).get("hash", "")) for m in stored["metadatas"]])
        if current == self._table.fingerprint:
            return False
        with self._lock:
            self._table = self._load_table()
        return True

    def get(self, ids: list[str], score: float = 1.0) -> list[Hit]:
        """Chunks by id, in the order asked (unknown ids skipped): for passages the assistant needs by
        name, such as a standard's coaching questions, cited like any retrieved passage."""
        table = self._table
        hits = []
        for chunk_id in ids:
            i = table.lexical.position.get(chunk_id)
            if i is not None:
                hits.append(Hit(id=chunk_id, text=table.texts[i], score=score, metadata=table.metadatas[i]))
        return hits

    def forget_queries(self) -> None:
        """Drop the remembered question vectors (so that a benchmark times the model, not the cache)."""
        self._query_vector.cache_clear()

    def query_vector(self, query: str) -> np.ndarray:
        """The question's vector (read-only), from the same per-question memory the searches use, so a
        caller comparing the question with other texts does not run the model a second time."""
        return self._query_vector(query)

    def _embed_query(self, query: str) -> np.ndarray:
        vector = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
        vector.setflags(write=False)
        return vector

    @property
    def chunk_count(self) -> int:
        return len(self._table.ids)

    def _mask(self, program: str | None, kinds: list[str] | None) -> np.ndarray:
        table = self._table
        return np.array(
            [
                (program is None or m.get("program") == program) and (not kinds or m.get("kind") in kinds)
                for m in table.metadatas
            ],
            dtype=bool,
        )

    def search(
        self,
        query: str,
        program: str | None = None,
        kinds: list[str] | None = None,
        k: int = 5,
        mode: Mode = "hybrid",
        floor: float | None = None,
        candidates: int | None = None,
    ) -> list[Hit]:
        """Top ``k`` chunks; nothing when the best passage is below the relevance floor."""
        query = query.strip()
        if not query:
            raise ValueError("the question is empty")
        table = self._table
        floor = self.settings.retrieval_floor if floor is None else floor
        candidates = candidates or self.settings.retrieval_candidates
        mask = self._mask(program, kinds)
        if not mask.any():
            return []
        query_vector = self._query_vector(query)

        dense_rank: dict[str, int] = {}
        cosine: dict[str, float] = {}
        if mode in {"hybrid", "dense"}:
            n = min(candidates, int(mask.sum()))
            with self._reachable():
                result = self.collection.query(
                    query_embeddings=[query_vector.tolist()],
                    n_results=n,
                    where=where_clause(program, kinds),
                    include=["distances"],
                )
            for rank, (chunk_id, dist) in enumerate(zip(result["ids"][0], result["distances"][0], strict=True)):
                dense_rank[chunk_id] = rank
                cosine[chunk_id] = 1.0 - float(dist)

        bm25_rank: dict[str, int] = {}
        if mode in {"hybrid", "bm25"}:
            scores = table.lexical.scores(query)
            scores = np.where(mask, scores, -1.0)
            order = np.argsort(-scores, kind="stable")[:candidates]
            bm25_rank = {table.ids[i]: rank for rank, i in enumerate(order) if scores[i] > 0}

        fused: dict[str, float] = {}
        rrf_k = self.settings.retrieval_rrf_k
        for ranks, weight in ((dense_rank, self.settings.retrieval_dense_weight), (bm25_rank, 1.0)):
            for chunk_id, rank in ranks.items():
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (rrf_k + rank + 1)
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))[: max(k, 1) * 2]

        missing = [cid for cid in ranked if cid not in cosine]
        if missing:
            with self._reachable():
                got = self.collection.get(ids=missing, include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                cosine[chunk_id] = float(np.dot(query_vector, np.asarray(vector, dtype=np.float32)))

        if not ranked or max(cosine[c] for c in ranked) < floor:
            return []
        hits = []
        for chunk_id in ranked:
            noise = cosine[chunk_id] < floor * self.settings.retrieval_noise_ratio
            if noise and bm25_rank.get(chunk_id, candidates) > self.settings.retrieval_noise_bm25_rank:
                continue  # weak on both signals: noise, not evidence
            i = table.lexical.position.get(chunk_id)
            if i is None:
                continue
            hits.append(
                Hit(
                    id=chunk_id,
                    text=table.texts[i],
                    score=round(cosine[chunk_id], 4),
                    metadata=table.metadatas[i],
                )
            )
            if len(hits) == k:
                break
        return hits


_shared: dict[tuple, KnowledgeRetriever] = {}
_shared_lock = threading.Lock()


def get_retriever(settings: Settings) -> KnowledgeRetriever:
    """One retriever per store per process (model, collection and BM25 loaded once)."""
    key = (
        str(settings.data_dir),
        settings.chroma_mode,
        settings.chroma_url,
        settings.collection,
        settings.inference_runtime,
        str(settings.onnx_cache_dir),
    )
    with _shared_lock:
        retriever = _shared.get(key)
        if retriever is None:
            retriever = _shared[key] = KnowledgeRetriever(settings)
        return retriever


def search(
    settings: Settings,
    question: str,
    program: str | None = None,
    k: int = 5,
    kinds: list[str] | None = None,
    mode: Mode = "hybrid",
) -> list[Hit]:
    """Top passages for a question with the process's shared retriever; builds the index if it is missing."""
    return get_retriever(settings).search(question, program=program, kinds=kinds, k=k, mode=mode)
