"""The inference runtimes side by side (issue 23): PyTorch as before, ONNX fp32, ONNX with fused kernels,
ONNX with int8 weights, and Chroma's own default embedding function (the same weights on ONNX Runtime, its
own tokenising and pooling) as the peer. Part of ``make bench``.

Per runtime: a cold process to its first answer, a process that answers and analyses (its peak RSS), warm
query embedding and warm 900-word analysis, the largest difference from PyTorch's vectors, and the quality
figures that must not drop: retrieval recall@5 on the retrieval test split (with an index built by that
runtime) and the sentence engine's macro-F1 on the mapping test split. Nothing here is tuned.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from app.config import REPO_ROOT, Settings

# name -> (inference_runtime, mapping_runtime). The last is the default configuration: questions on fp32
# (int8 lowered retrieval recall), the sentence model on int8 (its macro-F1 did not drop).
RUNTIMES = {
    "torch": ("torch", "torch"),
    "onnx-fp32": ("onnx-fp32", "onnx-fp32"),
    "onnx-optimized": ("onnx-optimized", "onnx-optimized"),
    "onnx-int8": ("onnx-int8", "onnx-int8"),
    "onnx-fp32+int8-mapping": ("onnx-fp32", "onnx-int8"),
}
QUESTION = "What does standard 6 expect?"
NARRATIVE = REPO_ROOT / "examples" / "cpt" / "projects" / "food-waste.md"

# One process that answers a question and analyses a narrative, then reports its own peak RSS.
_BOTH = """
import json, resource, sys, time
started = time.perf_counter()
from typer.testing import CliRunner
from app.cli import app
runner = CliRunner()
asked = runner.invoke(app, ["ask", "--program", "cpt", {question!r}])
first = time.perf_counter() - started
analysed = runner.invoke(app, ["analyze", "--program", "cpt", {narrative!r}])
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
try:  # this process's own high-water mark (getrusage's maxrss can carry the parent's from before exec)
    peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"codes": [asked.exit_code, analysed.exit_code], "first_answer_s": first,
    "total_s": time.perf_counter() - started, "peak_rss_mb": peak, "heavy_modules": heavy}}))
"""


def _env(data_dir: Path, onnx_dir: Path, name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTPREP_")}
    env |= {"CERTPREP_DATA_DIR": str(data_dir), "CERTPREP_ONNX_DIR": str(onnx_dir)}
    inference, mapping = RUNTIMES[name]
    env |= {"CERTPREP_INFERENCE_RUNTIME": inference, "CERTPREP_MAPPING_RUNTIME": mapping}
    return env


def _wall(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, cwd=REPO_ROOT)
    return time.perf_counter() - started


def _percentiles(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
    }


def _cold(name: str, root: Path, onnx_dir: Path, repeats: int) -> dict:
    cli = [sys.executable, "-m", "app.cli"]
    env = _env(root / name, onnx_dir, name)
    ingest_s = _wall([*cli, "ingest"], env)  # builds the index and exports what the runtime lacks
    first = [_wall([*cli, "ask", "--program", "cpt", QUESTION], env) for _ in range(repeats)]
    script = _BOTH.format(question=QUESTION, narrative=str(NARRATIVE))
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "first_ingest_s": round(ingest_s, 2),
        "process_start_to_first_answer_s": round(statistics.median(first), 2),
        "answer_and_analyse_process": {
            "first_answer_s_in_process": round(statistics.median(r["first_answer_s"] for r in runs), 2),
            "total_s": round(statistics.median(r["total_s"] for r in runs), 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
            "exit_codes": runs[-1]["codes"],
            "torch_modules_imported": runs[-1]["heavy_modules"],
        },
    }


def _texts() -> list[str]:
    from app.documents import segment
    from evaluation.mapping_data import load_projects

    return [s.text for p in load_projects() for s in segment(p.text).sentences]


def _warm(settings: Settings, reference: np.ndarray, texts: list[str], quick: bool) -> dict:
    from app.embeddings import get_embedder
    from app.mapping.service import get_analyzer
    from evaluation.mapping import warm_latency
    from evaluation.mapping_data import load_projects

    embedder = get_embedder(settings.embedding_model_path, settings)
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    queries = texts[:40] if quick else texts[:200]
    ms = []
    for q in queries:
        started = time.perf_counter()
        embedder.embed_query(q)
        ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    embedder.embed(texts)
    batch_s = time.perf_counter() - started
    analysis = warm_latency(get_analyzer(settings, "cpt"), load_projects(), repeats=1 if quick else 3, digits=3)
    return {
        "max_abs_diff_from_torch": float(np.abs(vectors - reference).max()),
        "min_cosine_to_torch": round(float((vectors * reference).sum(axis=1).min()), 6),
        "query_embedding": _percentiles(ms),
        "sentences_per_s": round(len(texts) / batch_s, 1),
        "warm_analyze_900_words": analysis,
    }


def _quality(settings: Settings, quick: bool) -> dict:
    """Retrieval recall@5 (test split, hybrid) on this runtime's own index; the sentence engine's macro-F1
    on the mapping test split (the 169 original test passages)."""
    from app.documents import Document
    from app.mapping.service import get_analyzer
    from evaluation.mapping import scores
    from evaluation.mapping_data import load_passages
    from evaluation.retrieval import evaluate as retrieval_eval
    from evaluation.retrieval import load_questions

    questions = load_questions()
    retrieval = retrieval_eval(settings, questions[:40] if quick else questions)["modes"]["hybrid"]["test"]
    analyzer = get_analyzer(settings, "cpt")
    passages = [p for p in load_passages() if p.split == "test"]
    if quick:
        passages = passages[:20]
    ids = [s.id for s in analyzer.kb.standards]
    predicted = []
    for p in passages:
        result = analyzer.analyze(Document(source=p.id, text=p.text))
        predicted.append({sid for sid in ids if result.status(sid).value == "demonstrated"})
    mapping = scores(ids, passages, predicted)
    return {
        "retrieval_recall@5_test": retrieval["recall@5"],
        "retrieval_mrr@10_test": retrieval["mrr@10"],
        "mapping_macro_f1_test": mapping["macro_f1"],
        "mapping_statuses": predicted,
    }


def _chroma_peer(model_path: Path, folder: Path, reference: np.ndarray, texts: list[str], quick: bool) -> dict:
    """Chroma's default embedding function, pointed at the bundled weights exported in the layout it reads
    (it would otherwise download its own copy of the same model)."""
    import torch
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
    from transformers import AutoModel

    target = folder / "onnx"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "tokenizer.json", "vocab.txt"):
        shutil.copy(model_path / name, target / name)
    from app.inference.export import additive_mask, run_layer

    bert = AutoModel.from_pretrained(str(model_path), local_files_only=True, attn_implementation="eager").eval()

    class Plain(torch.nn.Module):  # what Chroma's file holds: three inputs, the last hidden state out
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            additive = additive_mask(attention_mask, hidden.dtype)
            for layer in self.bert.encoder.layer:
                hidden = run_layer(layer, hidden, additive)
            return hidden

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {n: {0: "b", 1: "t"} for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")}
    torch.onnx.export(
        Plain().eval(),
        (ids, ids, torch.zeros_like(ids)),
        str(target / "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    function = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    function.DOWNLOAD_PATH = folder
    fits = [t for t in texts if len(function.tokenizer.encode(t).ids) <= 256]
    vectors = np.asarray(function(fits), dtype=np.float32)
    expected = reference[[texts.index(t) for t in fits]]
    ms = []
    for q in fits[: 40 if quick else 200]:
        started = time.perf_counter()
        function([q])
        ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    function(fits)
    return {
        "texts": len(fits),
        "max_abs_diff_from_torch": float(np.abs(vectors - expected).max()),
        "query_embedding": _percentiles(ms),
        "sentences_per_s": round(len(fits) / (time.perf_counter() - started), 1),
        "note": "pads every text to 256 word pieces",
    }


def run(root: Path, quick: bool = False) -> dict:
    from app.embeddings import Embedder

    onnx_dir = root / "onnx"
    texts = _texts()
    torch_embedder = Embedder(runtime="torch")
    reference = np.asarray(torch_embedder.embed(texts), dtype=np.float32)
    out: dict = {"texts": len(texts), "runtimes": {}}
    for name, (inference, mapping) in RUNTIMES.items():
        settings = Settings(
            data_dir=root / name, onnx_dir=onnx_dir, inference_runtime=inference, mapping_runtime=mapping
        )
        row = {
            "inference_runtime": inference,
            "mapping_runtime": mapping,
            "tolerance": settings.tolerance_for(mapping),
            "cold": _cold(name, root, onnx_dir, repeats=1 if quick else 3),
        }
        row |= _warm(settings, reference, texts, quick)
        row |= _quality(settings, quick)
        out["runtimes"][name] = row
    torch_statuses = out["runtimes"]["torch"]["mapping_statuses"]
    for row in out["runtimes"].values():
        statuses = row.pop("mapping_statuses")
        row["mapping_statuses_same_as_torch"] = sum(a == b for a, b in zip(statuses, torch_statuses, strict=True))
        row["mapping_passages"] = len(statuses)
    out["chroma_default_embedding_function"] = _chroma_peer(
        torch_embedder.model_path, root / "chroma-ef", reference, texts, quick
    )
    records = {p.name: json.loads(p.read_text()) for p in sorted(onnx_dir.glob("*.json")) if p.name != "digests.json"}
    out["exports"] = {name: {k: r[k] for k in ("variant", "max_abs_diff", "seconds")} for name, r in records.items()}
    out["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out
