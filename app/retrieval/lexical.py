"""BM25 over the same chunks as the vector store, cached on disk per index fingerprint.

The lexical side catches what embeddings blur: exact numbers ("1,500"), ids ("S6"), names ("CEU").
It is rebuilt only when the index's content changes (its fingerprint is the hash of chunk ids and hashes).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np

from app.tokens import TOKENIZER_VERSION, tokenize


def fingerprint(ids: list[str], hashes: list[str], salt: str = "") -> str:
    digest = hashlib.sha256(salt.encode())
    for chunk_id, chunk_hash in sorted(zip(ids, hashes, strict=True)):
        digest.update(f"{chunk_id}\x1f{chunk_hash}\x1e".encode())
    return digest.hexdigest()[:20]


class LexicalIndex:
    """BM25 scores for every chunk; filtering is done by the caller with a mask."""

    def __init__(self, ids: list[str], texts: list[str]):
        import bm25s

        self.ids = ids
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._bm25 = bm25s.BM25()
        corpus_tokens = [tokenize(t) or ["\u2205"] for t in texts]
        self._bm25.index(corpus_tokens, show_progress=False)
        self._vocab = set(self._bm25.vocab_dict) if hasattr(self._bm25, "vocab_dict") else None
        self._lock = threading.Lock()

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize(query)
        if self._vocab is not None:
            tokens = [t for t in tokens if t in self._vocab]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        with self._lock:
            return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self._bm25.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps(self.ids))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        index = cls.__new__(cls)
        index.ids = json.loads((folder / "ids.json").read_text())
        index.position = {chunk_id: i for i, chunk_id in enumerate(index.ids)}
        index._bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        index._vocab = set(index._bm25.vocab_dict) if hasattr(index._bm25, "vocab_dict") else None
        index._lock = threading.Lock()
        return index


_memory: dict[tuple[str, str], LexicalIndex] = {}
_memory_lock = threading.Lock()


def lexical_index(cache_dir: Path, ids: list[str], hashes: list[str], texts: list[str]) -> LexicalIndex:
    """The BM25 index for this exact content: from memory, else from disk, else built and saved."""
    key = fingerprint(ids, hashes, salt=TOKENIZER_VERSION)
    memory_key = (str(cache_dir), key)
    with _memory_lock:
        if memory_key in _memory:
            return _memory[memory_key]
        folder = cache_dir / key
        index = None
        if (folder / "ids.json").exists():
            try:
                index = LexicalIndex.load(folder)
                if sorted(index.ids) != sorted(ids):
                    index = None
            except (OSError, ValueError, KeyError):
                index = None  # a damaged cache is rebuilt, never trusted
        if index is None:
            index = LexicalIndex(ids, texts)
            try:
                for stale in cache_dir.glob("*"):
                    if stale.name != key:
                        shutil.rmtree(stale, ignore_errors=True)
                index.save(folder)
            except OSError:
                pass  # a read-only data dir still gets a working in-memory index
        for stale_key in [k for k in _memory if k[0] == str(cache_dir)]:
            del _memory[stale_key]
        _memory[memory_key] = index
        return index
