"""Which sentences carry a standard's evidence: the bundled MiniLM with its top layers fine-tuned on
sentence labels, and one multi-label head (one output per standard).

Trained by ``certprep-eval train`` (``evaluation/train_evidence.py``) from labelled sentences of the
development data. A program gets this model only when one was trained for it; any other program is
judged by the standard-agnostic passage model (``classifier.py``), so a program added as data still works.
The weights of the fine-tuned layers ship in ``app/mapping/evidence/<program>.npz``; the lower layers are
the bundled model's own, loaded from its folder (nothing is downloaded).
"""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from app.embeddings import Embedder
    from app.inference.runtime import OnnxEncoder

EVIDENCE_DIR = Path(__file__).with_name("evidence")
POSITION_FEATURES = 3


class EvidenceModelError(RuntimeError):
    pass


class Member(BaseModel):
    file: str = Field(pattern=r"^[A-Za-z0-9_.-]+\.npz$")
    weights_sha256: str


class EvidenceConfig(BaseModel):
    """What ``<program>.json`` holds next to the weights: how to read them and how to decide."""

    program: str
    standards: list[str]
    tuned_layers: int = Field(ge=1, le=6, description="How many top encoder layers were fine-tuned.")
    max_tokens: int = Field(ge=16, le=512)
    scale: float = Field(description="The pooled, normalised sentence vector is multiplied by this.")
    demonstrated: float = Field(ge=0, le=1, description="A done, own sentence this likely makes it demonstrated.")
    partial: float = Field(ge=0, le=1, description="Any sentence this likely makes the standard at least partial.")
    quote: float = Field(ge=0, le=1, description="A sentence this likely is quoted as evidence.")
    weights_sha256: str
    members: list[Member] = Field(
        default_factory=list,
        description="Further fine-tuned copies (other seeds or data) whose probabilities are averaged with the "
        "first's (``<program>.npz``): cross-validated, three averaged beat any one of them.",
    )
    trained_on: dict = Field(default_factory=dict)

    def member_files(self, weights: Path) -> list[tuple[Path, str]]:
        """Every member's weights file (next to the first's) and the digest it must have."""
        return [(weights, self.weights_sha256)] + [(weights.parent / m.file, m.weights_sha256) for m in self.members]

    def single(self, weights: Path) -> EvidenceConfig:
        """The config of the member whose weights file this is, alone: what one exported graph is checked
        against."""
        for path, digest in self.member_files(weights.parent / f"{self.program}.npz"):
            if path.name == weights.name:
                return self.model_copy(update={"weights_sha256": digest, "members": []})
        raise EvidenceModelError(f"{weights.name} is not a member of the {self.program} sentence model")


def position_features(n: int) -> np.ndarray:
    """(n, 3): where each sentence sits in the text; narratives mostly tell a project in its order."""
    p = np.arange(n) / max(n - 1, 1)
    return np.stack([p, p**2, (p - 0.5) ** 2 * 4], axis=1).astype(np.float32)


def build_network(base_path: Path, n_standards: int, tuned_layers: int):
    """The encoder (lower layers frozen) and the head; the same module trains and predicts."""
    import torch
    from transformers import AutoModel

    class Network(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_path), local_files_only=True)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size + POSITION_FEATURES, n_standards)
            for p in self.encoder.embeddings.parameters():
                p.requires_grad = False
            for layer in self.encoder.encoder.layer[: len(self.encoder.encoder.layer) - tuned_layers]:
                for p in layer.parameters():
                    p.requires_grad = False

        def forward(self, batch, positions, scale: float):
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            return self.head(torch.cat([pooled * scale, positions], dim=1))

        def tuned_state(self) -> dict:
            """The parameters that differ from the bundled model: the tuned layers and the head."""
            return {k: v for k, v in self.state_dict().items() if self._tuned(k)}

        def _tuned(self, key: str) -> bool:
            if key.startswith("head."):
                return True
            n = len(self.encoder.encoder.layer)
            return any(key.startswith(f"encoder.encoder.layer.{i}.") for i in range(n - tuned_layers, n))

    return Network()


def weights_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


class EvidenceModel:
    """p(sentence carries evidence of the author's own, done work for standard s), and each sentence's
    vector from the bundled model (mean-pooled, normalised: what the embedder gives), from one pass: the
    lower layers are shared, the fine-tuned top layers give the probabilities and the bundled model's own
    top layers the vectors, so a narrative is not run through the model twice. Thread-safe."""

    config: EvidenceConfig

    def probabilities(self, sentences: list[str], batch_size: int = 16) -> np.ndarray:
        """(n_sentences, n_standards) in the config's standard order."""
        return self.score(sentences, batch_size)[0]

    def score(self, sentences: list[str], batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class OnnxEvidenceModel(EvidenceModel):
    """On ONNX Runtime: the encoder graph gives the vectors and the hidden states entering the fine-tuned
    layers; the program's top graph turns those into probabilities. No torch."""

    def __init__(self, config: EvidenceConfig, top_graphs: Path | list[Path], encoder: OnnxEncoder, workers: int = 1):
        """``top_graphs``: one per member; ``encoder``: the embedder's own session (one copy of the bundled
        model in memory); ``workers``: batches scored at once, each on one thread (the encoder session should
        then have one thread too). The pool is shared by every analysis in the process, so concurrent users
        queue for the cores rather than oversubscribe them."""
        from app.inference.runtime import OnnxEvidenceTop

        self.config = config
        self.encoder = encoder
        graphs = [top_graphs] if isinstance(top_graphs, Path) else top_graphs
        self.workers = max(1, workers)
        self.tops = [OnnxEvidenceTop(graph, 1 if self.workers > 1 else 0) for graph in graphs]
        self.split = len(self.encoder.outputs) - config.tuned_layers  # hidden_k: after layer k
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="evidence") if self.workers > 1 else None

    def score(self, sentences: list[str], batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
        from app.inference.runtime import batches

        n = len(sentences)
        probs = np.zeros((n, len(self.config.standards)))
        vectors = np.zeros((n, self.encoder.dimension), dtype=np.float32)
        positions = position_features(n)

        def one(rows: list[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
            vecs, hidden, mask = self.encoder.run([sentences[i] for i in rows], self.config.max_tokens, self.split)
            p = np.mean([top.probabilities(hidden, mask, positions[rows]) for top in self.tops], axis=0)
            return rows, vecs, p

        work = list(batches(sentences, batch_size))
        done = self._pool.map(one, work) if self._pool and len(work) > 1 else map(one, work)
        for rows, vecs, p in done:
            vectors[rows], probs[rows] = vecs, p
        return probs, vectors


class TorchEvidenceModel(EvidenceModel):
    """On PyTorch: how the model is trained, and the reference its exported graphs are checked against."""

    def __init__(self, config: EvidenceConfig, weights: Path, base_path: Path):
        import torch

        self.config = config
        self._lock = threading.Lock()
        self.networks = []
        for path, _digest in config.member_files(weights):
            network = build_network(base_path, len(config.standards), config.tuned_layers)
            if not self.networks:
                import copy

                # the bundled model's own top layers, kept before the tuned ones replace them
                layers = network.encoder.encoder.layer
                self._base_top = [copy.deepcopy(layer) for layer in layers[len(layers) - config.tuned_layers :]]
            with np.load(path) as data:
                state = {k: torch.from_numpy(data[k].astype(np.float32)) for k in data.files}
            missing = set(network.tuned_state()) - set(state)
            if missing:
                raise EvidenceModelError(f"{path} lacks {sorted(missing)[:3]}: run `certprep-eval train`")
            network.load_state_dict(state, strict=False)
            self.networks.append(network.eval())
        self.network = self.networks[0]
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(base_path), local_files_only=True)

    def score(self, sentences: list[str], batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
        import torch

        dim = self.network.encoder.config.hidden_size
        if not sentences:
            return np.zeros((0, len(self.config.standards))), np.zeros((0, dim), dtype=np.float32)
        positions = torch.from_numpy(position_features(len(sentences)))
        # shortest first: batches of alike length pad less
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        out = np.zeros((len(sentences), len(self.config.standards)))
        vectors = np.zeros((len(sentences), dim), dtype=np.float32)
        first_tuned = self.network.encoder.encoder.layer[-self.config.tuned_layers]
        captured: dict = {}

        def keep_inputs(_module, args, kwargs):
            captured["args"], captured["kwargs"] = args, kwargs

        with self._lock, torch.inference_mode():
            hook = first_tuned.register_forward_pre_hook(keep_inputs, with_kwargs=True)
            try:
                for k in range(0, len(order), batch_size):
                    rows = order[k : k + batch_size]
                    batch = self.tokenizer(
                        [sentences[i] for i in rows],
                        padding=True,
                        truncation=True,
                        max_length=self.config.max_tokens,
                        return_tensors="pt",
                    )
                    out[rows] = np.mean(
                        [torch.sigmoid(n(batch, positions[rows], self.config.scale)).numpy() for n in self.networks],
                        axis=0,
                    )
                    hidden, rest = captured["args"][0], captured["args"][1:]
                    for layer in self._base_top:
                        hidden = layer(hidden, *rest, **captured["kwargs"])
                        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
                    vectors[rows] = pooled.numpy()
            finally:
                hook.remove()
        return out, vectors


def config_path(program: str, directory: Path = EVIDENCE_DIR) -> Path:
    return directory / f"{program}.json"


_lock = threading.Lock()


@lru_cache(maxsize=8)
def _load(program: str, directory: Path, embedder: Embedder, workers: int) -> EvidenceModel | None:
    path = config_path(program, directory)
    if not path.exists():
        return None
    config = EvidenceConfig.model_validate(json.loads(path.read_text()))
    weights = path.with_suffix(".npz")
    for member, digest in config.member_files(weights):
        if not member.exists() or weights_digest(member) != digest:
            raise EvidenceModelError(f"{member} is missing or not the one {path.name} was trained with")
    return build_evidence_model(config, weights, embedder, workers)


def build_evidence_model(config: EvidenceConfig, weights: Path, embedder: Embedder, workers: int = 1) -> EvidenceModel:
    """The model a config describes (its weights checked by the caller), on the embedder's runtime; on ONNX
    Runtime with ``workers`` batches at once."""
    program = config.program
    if embedder.variant is None:
        return TorchEvidenceModel(config, weights, embedder.model_path)
    from app.inference.artifacts import evidence_graph

    assert embedder.cache_dir is not None
    tops = [
        evidence_graph(
            program,
            config.single(member),
            member,
            embedder.model_path,
            embedder.cache_dir,
            embedder.variant,
            embedder.tolerance,
        )
        for member, _ in config.member_files(weights)
    ]
    return OnnxEvidenceModel(config, tops, embedder.onnx, workers)


def load_evidence_model(
    program: str, embedder: Embedder, directory: Path = EVIDENCE_DIR, workers: int = 1
) -> EvidenceModel | None:
    """The program's sentence model on the embedder's runtime (and bundled model), or None when the program
    has none (then the agnostic passage model decides)."""
    with _lock:
        return _load(program, Path(directory), embedder, workers)


def forget_loaded() -> None:
    """Drop loaded models, so a retrained one is read from disk."""
    _load.cache_clear()
