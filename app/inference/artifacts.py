"""Exported graphs in the data directory: named by the digest of what they were exported from, exported
on first need (one process at a time), and checked against PyTorch before first use.

A record (``<graph>.json``) beside each graph says what it came from, how far its outputs were from
PyTorch's on the probe sentences, and the tolerance it had to hold; a graph without a record that holds
is never used.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

log = logging.getLogger(__name__)

# Bump when the export code changes what it writes: every graph is then exported afresh.
# 4: an int8 evidence top has int8 weights too (it was exported in fp32 on the int8 encoder).
EXPORT_FORMAT = 4

# Sentences the exported graphs are checked on: short and long (past the 96 and 256 word-piece limits),
# accents, digits, a blank-ish one; PyTorch and ONNX Runtime must agree on each.
PROBES = [
    "I agreed a target of under four minutes with the store managers.",
    "Results",
    "The clerks' error rate fell from 7.2% to 1.9% within six weeks of the new checklist.",
    "Nous avons mesuré le temps d'attente avant et après le changement — ça a marché.",
    "We will evaluate the programme next year.",
    " ".join(["The regional team interviewed supervisors, reviewed the incident logs and compared shifts."] * 24),
    "Tested it with four clerks, revised it twice, then rolled it out to 140 staff in three branches.",
    "?",
]


class InferenceError(RuntimeError):
    """A graph could not be exported or does not match the PyTorch model."""


class Variant(StrEnum):
    """How the encoder graph is stored: as exported, with fused kernels, or with int8 weights."""

    fp32 = "fp32"
    optimized = "optimized"
    int8 = "int8"


class GraphRecord(BaseModel):
    kind: Literal["encoder", "evidence"]
    variant: Variant
    source: str = Field(description="Digest of the weights the graph was exported from.")
    export_format: int
    max_abs_diff: float = Field(description="Largest difference from PyTorch over every probe output.")
    tolerance: float
    seconds: float = Field(description="Time the export and its check took.")

    def holds(self, tolerance: float) -> bool:
        return self.export_format == EXPORT_FORMAT and self.max_abs_diff <= tolerance


def file_digest(path: Path, cache_dir: Path) -> str:
    """sha256 of a weights file, remembered by size and modification time so a start does not re-read
    90 MB; a replaced file (new size or time) is hashed again."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo = cache_dir / "digests.json"
    known: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        known = json.loads(memo.read_text())
    if key not in known:
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
        known[key] = sha.hexdigest()[:16]
        with contextlib.suppress(OSError):
            cache_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(memo, json.dumps(known, indent=1).encode())
    return known[key]


def model_weights(model_path: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_path / name).exists():
            return model_path / name
    raise InferenceError(f"no weights (model.safetensors) in {model_path}")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@contextlib.contextmanager
def _exclusive(cache_dir: Path, name: str) -> Iterator[None]:
    """One exporter per graph across processes (two app instances starting together)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _record(graph: Path) -> GraphRecord | None:
    try:
        return GraphRecord.model_validate_json(graph.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None


def ready(graph: Path, tolerance: float) -> bool:
    """Exported, checked, and as close to PyTorch as the tolerance in force asks."""
    record = _record(graph)
    return graph.exists() and record is not None and record.holds(tolerance)


def _too_far(kind: str, diff: float, tolerance: float) -> str:
    return (
        f"the exported {kind} model differs from PyTorch by {diff:.2g} (tolerance {tolerance:.2g}): choose "
        "another CERTPREP_INFERENCE_RUNTIME (onnx-optimized, onnx-fp32 or torch) or raise CERTPREP_ONNX_TOLERANCE"
    )


def _produce(
    graph: Path, cache_dir: Path, make, check, kind: str, variant: Variant, source: str, tolerance: float
) -> Path:
    """Export (``make(path)``) and check (``check(path)`` -> largest difference) under the lock, unless
    another process did it meanwhile; refuse a graph that does not hold the tolerance."""
    with _exclusive(cache_dir, graph.name):
        if ready(graph, tolerance):
            return graph
        record = _record(graph)
        if graph.exists() and record is not None and record.export_format == EXPORT_FORMAT:
            raise InferenceError(_too_far(kind, record.max_abs_diff, tolerance))
        started = time.perf_counter()
        log.info("exporting the %s model to ONNX (first use only)", kind)
        tmp = graph.with_name(f".{graph.stem}.{os.getpid()}.onnx")
        try:
            make(tmp)
            diff = float(check(tmp))
            os.replace(tmp, graph)
        except ImportError as exc:
            raise InferenceError(f"exporting the model needs PyTorch ({exc}); run `make setup`") from exc
        finally:
            tmp.unlink(missing_ok=True)
        record = GraphRecord(
            kind=kind,
            variant=variant,
            source=source,
            export_format=EXPORT_FORMAT,
            max_abs_diff=diff,
            tolerance=tolerance,
            seconds=round(time.perf_counter() - started, 2),
        )
        _write_atomic(graph.with_suffix(".json"), record.model_dump_json(indent=1).encode())
        if not record.holds(tolerance):
            raise InferenceError(_too_far(kind, diff, tolerance))
        log.info("exported %s in %.1f s (largest difference from PyTorch %.2g)", graph.name, record.seconds, diff)
        return graph


# Exports run in a child process (``python -m app.inference``), so that a long-running process (the web
# server, an API) never loads PyTorch, not even for its first start; the child sets this.
_exporting_here = False


def _export_in_child(args: list[str]) -> None:
    import subprocess
    import sys

    log.info("preparing the model for ONNX Runtime (%s; first use only, about a minute)", args[0])
    done = subprocess.run([sys.executable, "-m", "app.inference", *args], capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise InferenceError(lines[-1].removeprefix("error: ") if lines else f"the export failed ({done.returncode})")


def encoder_graph_path(model_path: Path, cache_dir: Path, variant: Variant) -> Path:
    source = file_digest(model_weights(Path(model_path)), Path(cache_dir))
    return Path(cache_dir) / f"encoder-{source}-{variant.value}.onnx"


def encoder_graph(model_path: Path, cache_dir: Path, variant: Variant, tolerance: float) -> Path:
    """The bundled model's encoder graph in the given variant, exported and checked on first need."""
    model_path, cache_dir = Path(model_path), Path(cache_dir)
    graph = encoder_graph_path(model_path, cache_dir, variant)
    source = graph.stem.split("-")[1]
    if ready(graph, tolerance):
        return graph
    if not _exporting_here:
        _export_in_child(["encoder", str(model_path), str(cache_dir), variant.value, repr(tolerance)])
        return graph

    def make(path: Path) -> None:
        from app.inference import export

        if variant is Variant.fp32:
            export.export_encoder(model_path, path)
            return
        base = encoder_graph(model_path, cache_dir, Variant.fp32, tolerance)
        if variant is Variant.optimized:
            config = json.loads((model_path / "config.json").read_text())
            export.optimize_encoder(base, path, config["num_attention_heads"], config["hidden_size"])
        else:
            export.quantize(base, path)

    def check(path: Path) -> float:
        from app.inference.checks import encoder_difference

        return encoder_difference(path, model_path)

    return _produce(graph, cache_dir, make, check, "encoder", variant, source, tolerance)


def evidence_graph(
    program: str, config, weights: Path, model_path: Path, cache_dir: Path, variant: Variant, tolerance: float
) -> Path:
    """A program's evidence top (fine-tuned layers and head), exported and checked, on the encoder graph of
    the same variant, on first need."""
    model_path, cache_dir = Path(model_path), Path(cache_dir)
    encoder = encoder_graph(model_path, cache_dir, variant, tolerance)
    base = file_digest(model_weights(model_path), cache_dir)
    source = f"{config.weights_sha256}-{base}"
    graph = cache_dir / f"evidence-{program}-{source}-{variant.value}.onnx"
    if ready(graph, tolerance):
        return graph
    if not _exporting_here:
        args = [str(weights), str(model_path), str(cache_dir), variant.value, repr(tolerance)]
        _export_in_child(["evidence", program, *args])
        return graph

    def make(path: Path) -> None:
        from app.inference import export

        if variant is not Variant.int8:
            export.export_evidence_top(config, weights, model_path, path)
            return
        plain = path.with_name(f"{path.stem}.fp32.onnx")
        try:
            export.export_evidence_top(config, weights, model_path, plain)
            export.quantize(plain, path)
        finally:
            plain.unlink(missing_ok=True)

    def check(path: Path) -> float:
        from app.inference.checks import evidence_difference

        return evidence_difference(path, config, weights, model_path, encoder)

    return _produce(graph, cache_dir, make, check, "evidence", variant, source, tolerance)
