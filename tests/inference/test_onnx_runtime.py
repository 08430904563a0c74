"""The bundled model and the sentence model on ONNX Runtime: the same vectors and statuses as on PyTorch,
and no PyTorch on the way to an answer or an analysis. Real model, real exports, real store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from app.config import REPO_ROOT, Settings
from app.documents import read_text_input
from app.embeddings import Embedder, get_embedder
from app.inference.artifacts import (
    PROBES,
    InferenceError,
    Variant,
    encoder_graph,
    encoder_graph_path,
    file_digest,
)
from app.mapping.service import analyze_documents, get_analyzer
from tests.conftest import SHIPPED_KNOWLEDGE

pytestmark = pytest.mark.slow

PROJECTS = sorted((REPO_ROOT / "examples" / "cpt" / "projects").glob("*.md"))
HEAVY = ("torch", "transformers", "sentence_transformers")


def _sentences() -> list[str]:
    """Texts the export was not checked on: the example narratives' lines, and a few odd ones."""
    lines = [line.strip("# ").strip() for p in PROJECTS for line in p.read_text().splitlines() if line.strip()]
    return [*lines, "é" * 400, "S1 S2 S3 — 25 % ↑", "\t", "word " * 300]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(runtime="torch")


@pytest.mark.parametrize("runtime", ["onnx-fp32", "onnx-optimized"])
def test_the_exported_model_gives_pytorchs_vectors_within_the_tolerance(runtime, torch_embedder, onnx_dir):
    settings = Settings(inference_runtime=runtime, onnx_dir=onnx_dir)
    onnx = get_embedder(None, settings)
    texts = _sentences()
    expected = np.asarray(torch_embedder.embed(texts))
    got = np.asarray(onnx.embed(texts))
    assert got.shape == expected.shape == (len(texts), 384)
    # measured: about 3e-7 (fp32 and fused); the tolerance is the setting's 1e-4
    assert np.abs(got - expected).max() <= settings.onnx_tolerance
    record = json.loads(onnx.encoder_graph.with_suffix(".json").read_text())
    assert record["variant"] == runtime.removeprefix("onnx-")
    assert record["max_abs_diff"] <= record["tolerance"] == settings.onnx_tolerance


def test_word_pieces_are_the_pytorch_tokenizers(torch_embedder):
    from transformers import AutoTokenizer

    from app.inference.runtime import WordPieces

    reference = AutoTokenizer.from_pretrained(str(torch_embedder.model_path), local_files_only=True)
    texts = _sentences()
    for limit in (96, 256):
        ids, mask = WordPieces(torch_embedder.model_path).batch(texts, limit)
        expected = reference(texts, padding=True, truncation=True, max_length=limit, return_tensors="np")
        assert np.array_equal(ids, expected["input_ids"])
        assert np.array_equal(mask, expected["attention_mask"])


@pytest.mark.parametrize("runtime", ["onnx-fp32", "onnx-optimized"])
def test_the_sentence_model_gives_the_same_statuses_on_onnx_as_on_pytorch(runtime, onnx_dir):
    """Behaviour, not bytes: every standard's status on the example projects, confidences within 1e-3."""
    runs = _statuses_by_runtime(["torch", runtime], onnx_dir)
    for (sid, status, confidence, quotes), (sid2, status2, confidence2, quotes2) in zip(*runs.values(), strict=True):
        assert (sid, status, quotes) == (sid2, status2, quotes2)
        assert abs(confidence - confidence2) <= 1e-3


def _statuses_by_runtime(runtimes: list[str], onnx_dir) -> dict[str, list[tuple]]:
    """Every standard's (id, status, confidence, quotes) on the example projects, the sentence model on each
    runtime; checks it really ran there."""
    documents = [read_text_input(p.read_text(), p.name) for p in PROJECTS]
    runs = {}
    for name in runtimes:
        settings = Settings(
            knowledge_dir=SHIPPED_KNOWLEDGE, inference_runtime=name, mapping_runtime=name, onnx_dir=onnx_dir
        )
        projects = analyze_documents(settings, "cpt", documents).projects
        runs[name] = [
            (s.id, s.status, s.confidence, [e.text for e in s.evidence]) for p in projects for s in p.standards
        ]
        evidence = get_analyzer(settings, "cpt").evidence
        assert type(evidence).__name__ == ("TorchEvidenceModel" if name == "torch" else "OnnxEvidenceModel")
        if name != "torch":
            assert evidence.encoder.session._model_path.endswith(f"-{name.removeprefix('onnx-')}.onnx")
    assert all(len(run) == len(PROJECTS) * 10 for run in runs.values())
    return runs


def test_the_int8_sentence_model_keeps_the_statuses_and_runs_by_default(onnx_dir):
    """int8 weights move probabilities by up to about 0.15 (the export records), so behaviour is compared:
    the same status for nearly every standard of the example projects (measured: all 30; one may flip on
    another CPU), and the default mapping runtime is int8 while questions stay on fp32."""
    runs = _statuses_by_runtime(["onnx-fp32", "onnx-int8"], onnx_dir)
    same = sum(a[1] == b[1] for a, b in zip(*runs.values(), strict=True))
    assert same >= len(runs["onnx-fp32"]) - 1
    settings = Settings(knowledge_dir=SHIPPED_KNOWLEDGE, onnx_dir=onnx_dir)
    assert (settings.inference_runtime, settings.mapping_inference_runtime) == ("onnx-fp32", "onnx-int8")
    analyzer = get_analyzer(settings, "cpt")
    assert analyzer.evidence.encoder.session._model_path.endswith("-int8.onnx")
    assert analyzer.embedder.runtime == "onnx-fp32"  # the vectors questions are matched with
    tops = sorted(onnx_dir.glob("evidence-cpt-*-int8.json"))
    assert len(tops) == 1 + len(analyzer.evidence.config.members)
    for record in (json.loads(t.read_text()) for t in tops):
        assert 0 < record["max_abs_diff"] <= record["tolerance"] == settings.int8_tolerance


def test_ask_and_analyze_never_import_pytorch(tmp_path, onnx_dir):
    """After `certprep ingest` (which builds the index and exports what is missing), a fresh interpreter
    answers a question and analyses a narrative through the CLI's own commands, then lists what it
    imported."""
    env = {**os.environ, "CERTPREP_DATA_DIR": str(tmp_path / "d"), "CERTPREP_ONNX_DIR": str(onnx_dir)}
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "ingest"], env=env, cwd=REPO_ROOT, check=True, capture_output=True, timeout=900)
    script = f"""
import json, sys
from typer.testing import CliRunner
from app.cli import app
runner = CliRunner()
steps = [["ask", "--program", "cpt", "How many years of experience do I need?"],
         ["analyze", "--program", "cpt", {str(PROJECTS[0])!r}]]
results = [runner.invoke(app, step) for step in steps]
print(json.dumps({{"codes": [r.exit_code for r in results], "out": [r.output for r in results],
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"] == [0, 0], result["out"]
    assert "3 years" in result["out"][0] and "demonstrated" in result["out"][1]
    assert result["heavy"] == []


def test_a_changed_model_file_gets_a_graph_of_its_own(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights one")
    first = encoder_graph_path(model, tmp_path / "cache", Variant.fp32)
    assert file_digest(model / "model.safetensors", tmp_path / "cache") in first.name
    (model / "model.safetensors").write_bytes(b"weights two, longer")
    assert encoder_graph_path(model, tmp_path / "cache", Variant.fp32) != first


def test_a_graph_that_does_not_match_pytorch_is_refused_with_what_to_do(tmp_path, onnx_dir):
    settings = Settings(inference_runtime="onnx-fp32", onnx_dir=onnx_dir)
    good = get_embedder(None, settings).encoder_graph
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(onnx_dir / "digests.json", cache / "digests.json")
    shutil.copy(good, cache / good.name)
    record = json.loads(good.with_suffix(".json").read_text()) | {"max_abs_diff": 0.5}
    (cache / good.name).with_suffix(".json").write_text(json.dumps(record))
    with pytest.raises(InferenceError, match="CERTPREP_INFERENCE_RUNTIME"):
        encoder_graph(get_embedder(None, settings).model_path, cache, Variant.fp32, settings.onnx_tolerance)


def test_the_export_check_covers_truncation_and_padding(torch_embedder):
    """The probes every export is checked on run past the 256 word-piece limit and pad short ones."""
    from app.inference.runtime import WordPieces

    _, mask = WordPieces(torch_embedder.model_path).batch(PROBES, 512)
    lengths = mask.sum(axis=1)
    assert lengths.max() > 256 and lengths.min() <= 4


def test_scoring_batches_on_parallel_workers_changes_nothing_but_the_time(onnx_dir):
    """Two workers on one-thread sessions against one batch at a time on ONNX Runtime's own threads: the
    same statuses, quotes and (within float noise) confidences, and the rows put back in their places."""
    documents = [read_text_input(p.read_text(), p.name) for p in PROJECTS]
    runs = []
    for workers in (1, 2):
        settings = Settings(knowledge_dir=SHIPPED_KNOWLEDGE, onnx_dir=onnx_dir, mapping_workers=workers)
        evidence = get_analyzer(settings, "cpt").evidence
        assert evidence.workers == workers and (evidence._pool is None) == (workers == 1)
        projects = analyze_documents(settings, "cpt", documents).projects
        runs.append(
            [(s.id, s.status, s.confidence, [e.text for e in s.evidence]) for p in projects for s in p.standards]
        )
    for (sid, status, confidence, quotes), (sid2, status2, confidence2, quotes2) in zip(*runs, strict=True):
        assert (sid, status, quotes) == (sid2, status2, quotes2)
        assert abs(confidence - confidence2) <= 1e-5
