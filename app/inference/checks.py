"""How far an exported graph is from the PyTorch model it came from, on the probe sentences. Runs at
export time only (it loads PyTorch for the reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.inference.artifacts import PROBES


def encoder_difference(graph: Path, model_path: Path) -> float:
    """Largest absolute difference between the graph's sentence vectors and sentence-transformers'."""
    from app.embeddings import Embedder
    from app.inference.runtime import OnnxEncoder

    reference = Embedder(model_path, runtime="torch")
    expected = np.asarray(reference.embed(PROBES), dtype=np.float32)
    encoder = OnnxEncoder(graph, model_path, reference.dimension)
    got = encoder.embed(PROBES, reference.max_tokens)
    return float(np.abs(got - expected).max())


def evidence_difference(graph: Path, config, weights: Path, model_path: Path, encoder: Path) -> float:
    """Largest absolute difference, over the probabilities and the sentence vectors, between the sentence
    model on ONNX Runtime (this top graph on the given encoder graph) and on PyTorch."""
    from app.embeddings import Embedder
    from app.inference.runtime import OnnxEncoder
    from app.mapping.evidence import OnnxEvidenceModel, TorchEvidenceModel

    expected_p, expected_v = TorchEvidenceModel(config, weights, model_path).score(PROBES)
    session = OnnxEncoder(encoder, model_path, Embedder(model_path).dimension)
    got_p, got_v = OnnxEvidenceModel(config, graph, session).score(PROBES)
    return float(max(np.abs(got_p - expected_p).max(), np.abs(got_v - expected_v).max()))
