"""Each standard as a set of embedded reference texts drawn from the knowledge base.

The standard's summary, every reviewer criterion, the kinds of evidence and the strong examples are
embedded once per program (and per knowledge version) and reused for every narrative.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np

from app.embeddings import Embedder
from app.knowledge.schema import KnowledgeBase, Standard
from app.mapping.signals import keyword_pattern


@dataclass
class StandardPrototypes:
    standard: Standard
    vectors: np.ndarray  # (n_prototypes, dim)
    criterion_rows: list[int]  # rows of `vectors` that are criteria, in criteria order
    keywords: object  # compiled pattern or None


@dataclass
class ProgramPrototypes:
    program: str
    standards: list[StandardPrototypes]
    fingerprint: str

    @property
    def ids(self) -> list[str]:
        return [p.standard.id for p in self.standards]


def _texts(standard: Standard) -> tuple[list[str], list[int]]:
    texts = [f"{standard.title}: {standard.summary}"]
    rows = []
    for criterion in standard.criteria:
        rows.append(len(texts))
        texts.append(criterion.text)
    texts.extend(standard.evidence)
    texts.extend(standard.examples)
    texts.extend(standard.narrative_cues)
    return texts, rows


def _fingerprint(kb: KnowledgeBase) -> str:
    payload = "\n".join(s.model_dump_json() for s in kb.standards)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


_cache: dict[tuple[str, str, str], ProgramPrototypes] = {}
_lock = threading.Lock()


def program_prototypes(kb: KnowledgeBase, embedder: Embedder) -> ProgramPrototypes:
    key = (kb.program.id, _fingerprint(kb), str(embedder.model_path))
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    all_texts: list[str] = []
    spans: list[tuple[int, int, list[int]]] = []
    for standard in kb.standards:
        texts, rows = _texts(standard)
        spans.append((len(all_texts), len(all_texts) + len(texts), rows))
        all_texts.extend(texts)
    vectors = np.asarray(embedder.embed(all_texts), dtype=np.float32) if all_texts else np.zeros((0, 1))
    standards = [
        StandardPrototypes(
            standard=standard,
            vectors=vectors[start:end],
            criterion_rows=rows,
            keywords=keyword_pattern(standard.keywords),
        )
        for standard, (start, end, rows) in zip(kb.standards, spans, strict=True)
    ]
    result = ProgramPrototypes(program=kb.program.id, standards=standards, fingerprint=key[1])
    with _lock:
        _cache[key] = result
    return result
