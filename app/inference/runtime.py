"""Run exported graphs: ONNX Runtime for the model, the ``tokenizers`` library for word pieces, numpy for the
rest. Nothing here imports torch, transformers or sentence-transformers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def session(graph: Path, threads: int = 0):
    """An inference session on the CPU. ``threads`` 0: ONNX Runtime's choice (the physical cores).

    Its threads do not spin waiting for the next call: an analysis alternates between two sessions (the
    encoder and a program's top layers), and one session's spinning threads took the cores the other
    needed (measured: the top layers ran half as fast)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: its warnings name internal nodes, not anything a user can act on
    return ort.InferenceSession(str(graph), sess_options=options, providers=["CPUExecutionProvider"])


class WordPieces:
    """The model's own tokenizer (``tokenizer.json``), truncating to a given length and padding a batch to
    its longest text, as the PyTorch tokenizer does with ``padding=True, truncation=True``."""

    def __init__(self, model_path: Path):
        self._file = str(Path(model_path) / "tokenizer.json")
        self._by_length: dict[int, object] = {}
        self._lock = threading.Lock()

    def _tokenizer(self, max_tokens: int):
        with self._lock:
            if max_tokens not in self._by_length:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(self._file)
                tokenizer.enable_truncation(max_length=max_tokens)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
                self._by_length[max_tokens] = tokenizer
            return self._by_length[max_tokens]

    def batch(self, texts: list[str], max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
        encodings = self._tokenizer(max_tokens).encode_batch(texts)
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask


def batches(texts: list[str], batch_size: int) -> Iterator[list[int]]:
    """Row numbers, shortest text first: texts of alike length pad less."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for k in range(0, len(order), batch_size):
        yield order[k : k + batch_size]


class OnnxEncoder:
    """The encoder graph: sentence vectors, and on request the hidden states after a given layer."""

    def __init__(self, graph: Path, model_path: Path, dimension: int, threads: int = 0):
        self.session = session(graph, threads)
        self.pieces = WordPieces(model_path)
        self.dimension = dimension
        self.outputs = [o.name for o in self.session.get_outputs()]

    def run(self, texts: list[str], max_tokens: int, hidden_after: int | None = None) -> tuple:
        """One batch: (vectors, hidden states after layer ``hidden_after`` or None, attention mask)."""
        ids, mask = self.pieces.batch(texts, max_tokens)
        names = ["sentence_embedding"] + ([f"hidden_{hidden_after}"] if hidden_after else [])
        out = self.session.run(names, {"input_ids": ids, "attention_mask": mask})
        return out[0], (out[1] if hidden_after else None), mask

    def embed(self, texts: list[str], max_tokens: int, batch_size: int = 32) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows in batches(texts, batch_size):
            vectors[rows] = self.run([texts[i] for i in rows], max_tokens)[0]
        return vectors


class OnnxEvidenceTop:
    """A program's fine-tuned top layers and head, fed by the encoder's hidden states."""

    def __init__(self, graph: Path, threads: int = 0):
        self.session = session(graph, threads)

    def probabilities(self, hidden: np.ndarray, mask: np.ndarray, positions: np.ndarray) -> np.ndarray:
        feeds = {"hidden": hidden, "attention_mask": mask, "positions": positions.astype(np.float32)}
        return self.session.run(["probabilities"], feeds)[0]
