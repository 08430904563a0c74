"""Is a retrained mapping model the shipped one? Compared by what matters, not byte for byte.

Two machines of the same kind train slightly different numbers from the same data: their CPUs and BLAS
libraries round differently (sentence embeddings, solver steps). What must not differ is what the
model *is* and what it *does*: the same vocabulary and feature names, every number within a tolerance
measured by ``python -m evaluation.reproducibility`` (results/training_stability.json), and — the real
test — the same status for every standard of every passage of the test split, the labelled projects and
the example projects.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.config import REPO_ROOT, Settings
from app.documents import Document
from app.embeddings import get_embedder
from app.knowledge.loader import load_knowledge
from app.mapping.analyzer import NarrativeAnalyzer
from app.mapping.classifier import MappingModel
from evaluation import write_result
from evaluation.mapping_data import load_passages, load_projects

RESULTS = Path(__file__).parent / "results" / "training_stability.json"
PROGRAM = "cpt"
EXAMPLES = REPO_ROOT / "examples" / "cpt" / "projects"
KNOWLEDGE = REPO_ROOT / "knowledge"


@dataclass(frozen=True)
class Tolerance:
    """How far a retrained number may sit from the shipped one (absolute), by kind of number.

    Chosen from results/training_stability.json, where the same data was trained under six settings that
    change the arithmetic as another machine would. There every weight sat within 3e-6 of the default
    run's (model.json keeps 6 decimals, so that is a few rounding steps) and no threshold, cut-off or
    score moved at all. Each limit is far above that, and far below what moves a decision: a model with
    *every* weight pushed by the full tolerance (``tolerance_effect``) moves no probability by more than a
    sixth of the narrowest margin between a decision and its threshold, and flips nothing. The status
    comparison, not these numbers, is the test of behaviour."""

    weight: float = 2e-5  # coefficients, intercepts, feature scaling, idf, neutral values: ~7x the 3e-6 seen
    threshold: float = 0.0  # decision thresholds: picked on a 0.02 grid, identical in every run measured
    similarity_cutoff: float = 0.0015  # quantiles rounded to 3 decimals: one rounding step, plus noise
    cv_score: float = 0.005  # reported, not used to decide: allows one out-of-fold decision (~0.004) to cross


TOLERANCE = Tolerance()


def _kind(path: str) -> str:
    leaf = path.rsplit(".", 1)[-1].split("[")[0]
    if leaf == "threshold":
        return "threshold"
    if leaf in ("evidence_similarity", "criterion_similarity"):
        return "similarity_cutoff"
    if leaf.startswith("cv_macro_f1"):
        return "cv_score"
    return "weight"


def _flatten(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key in sorted(value):
            out |= _flatten(value[key], f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        return {f"{path}[{i}]": v for i, v in enumerate(value)}
    return {path: value}


def group(path: str) -> str:
    """A path with list positions and standard ids taken out: the part of the model a number belongs to."""
    return re.sub(r"\.S\d+(?=\.|$)", ".S*", re.sub(r"\[\d+\]", "", path))


def model_differences(expected: MappingModel, actual: MappingModel, tolerance: Tolerance = TOLERANCE) -> list[str]:
    """Every way ``actual`` is not ``expected``: structure and words exactly, numbers within tolerance."""
    a, b = _flatten(expected.model_dump()), _flatten(actual.model_dump())
    problems = [f"{path}: only in the expected model" for path in sorted(a.keys() - b.keys())]
    problems += [f"{path}: only in the retrained model" for path in sorted(b.keys() - a.keys())]
    for path in sorted(a.keys() & b.keys()):
        want, got = a[path], b[path]
        if isinstance(want, float) or isinstance(got, float):
            if not (isinstance(want, (int, float)) and isinstance(got, (int, float))):
                problems.append(f"{path}: {want!r} became {got!r}")
                continue
            limit = getattr(tolerance, _kind(path))
            if not math.isfinite(got) or abs(got - want) > limit + 1e-12:
                problems.append(f"{path}: {want} became {got} (difference {abs(got - want):.3g} > {limit:g})")
        elif want != got:
            shown = f"{len(want)} items differ" if isinstance(want, list) and len(want) > 8 else f"{want!r} -> {got!r}"
            if isinstance(want, list) and isinstance(got, list) and len(want) > 8:
                gone, new = sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]
                shown = f"lost {gone}, gained {new}" if gone or new else "same items in another order"
            problems.append(f"{path}: {shown}")
    return problems


def _shift(value, path: str, step):
    if isinstance(value, dict):
        return {key: _shift(item, f"{path}.{key}" if path else str(key), step) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift(item, f"{path}[{i}]", step) for i, item in enumerate(value)]
    return value + step(path) if isinstance(value, float) and _kind(path) == "weight" else value


def pushed_to_tolerance(model: MappingModel, limit: float, seed: int) -> MappingModel:
    """The model with every weight moved by exactly ``limit``, up or down at random: the furthest a model
    may sit from the shipped one and still pass the number comparison, in every weight at once."""
    rng = np.random.default_rng(seed)
    shifted = _shift(model.model_dump(), "", lambda _path: float(rng.choice([-limit, limit])))
    return MappingModel.model_validate(shifted)


def largest_differences(expected: MappingModel, actual: MappingModel) -> dict[str, float]:
    """The largest absolute difference per part of the model (numbers only), for the stability report."""
    a, b = _flatten(expected.model_dump()), _flatten(actual.model_dump())
    out: dict[str, float] = {}
    for path in a.keys() & b.keys():
        if isinstance(a[path], float) and isinstance(b[path], (int, float)):
            key = group(path)
            out[key] = max(out.get(key, 0.0), abs(float(b[path]) - float(a[path])))
    return dict(sorted(out.items()))


def behaviour_texts() -> list[Document]:
    """What the behaviour comparison reads: the test split, the labelled projects, the example projects."""
    docs = [Document(source=p.id, text=p.text) for p in load_passages() if p.split == "test"]
    docs += [Document(source=p.id, text=p.text) for p in load_projects()]
    docs += [Document(source=f"examples/{p.name}", text=p.read_text()) for p in sorted(EXAMPLES.glob("*.md"))]
    return docs


@dataclass
class Decisions:
    """One model's statuses on the behaviour texts, and how close each decision came to its threshold."""

    status: dict[tuple[str, str], str]
    probabilities: dict[tuple[str, str], tuple[float, float]]  # (p demonstrated, p present), best unit
    margin: dict[tuple[str, str], float]  # distance of the deciding probability from its threshold


def decisions(settings: Settings, model: MappingModel, docs: list[Document] | None = None) -> Decisions:
    kb = load_knowledge(settings.knowledge_dir)[PROGRAM]
    # the passage model alone: it is what model.json holds (the sentence model is checked separately)
    analyzer = NarrativeAnalyzer(
        kb, get_embedder(settings.embedding_model_path, settings), settings.prompts_dir, model, evidence=False
    )
    shared = analyzer.shared
    out = Decisions({}, {}, {})
    for doc in docs if docs is not None else behaviour_texts():
        result = analyzer.analyze(doc)
        prep = analyzer.prepare(doc.text)
        features = analyzer.unit_matrix(prep)
        n_std = len(analyzer.protos.standards)
        if len(features):
            p_dem, p_pres = model.probabilities(features.reshape(-1, features.shape[-1]), shared)
            p_dem, p_pres = p_dem.reshape(-1, n_std).max(axis=0), p_pres.reshape(-1, n_std).max(axis=0)
        else:
            p_dem = p_pres = np.zeros(n_std)
        for s, standard in enumerate(result.standards):
            key = (doc.source, standard.id)
            out.status[key] = standard.status.value
            out.probabilities[key] = (float(p_dem[s]), float(p_pres[s]))
            out.margin[key] = min(
                abs(float(p_dem[s]) - shared.demonstrated.threshold), abs(float(p_pres[s]) - shared.present.threshold)
            )
    return out


def status_flips(expected: Decisions, actual: Decisions) -> list[str]:
    """'m712 S4: demonstrated with the shipped model, partial retrained' for every decision that changed."""
    return [
        f"{source} {sid}: {expected.status[(source, sid)]} with the shipped model, {actual.status.get((source, sid))} "
        f"retrained (p demonstrated {expected.probabilities[(source, sid)][0]:.4f} -> "
        f"{actual.probabilities.get((source, sid), (float('nan'),))[0]:.4f})"
        for source, sid in expected.status
        if actual.status.get((source, sid)) != expected.status[(source, sid)]
    ]


# --- the measurement behind the tolerances -----------------------------------------------------------
# Each setting changes floating-point arithmetic the way another x86-64 machine of the same kind would:
# fewer BLAS / PyTorch threads (other reduction orders), OpenBLAS kernels for older cores, and PyTorch,
# MKL, oneDNN and NumPy limited to AVX2 or to no vector instructions at all (other summation orders in
# the embedding model and in every dot product).
AVX2 = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "DNNL_MAX_CPU_ISA": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
}
SETTINGS: dict[str, dict[str, str]] = {
    "default": {},
    "one_thread": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "openblas_sandybridge": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "avx2_machine": AVX2,
    "avx2_machine_one_thread": AVX2 | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    "no_vector_instructions": {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
        "DNNL_MAX_CPU_ISA": "SSE41",
        "OPENBLAS_CORETYPE": "Prescott",
        "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    },
}


def _train_in_process(name: str, env: dict[str, str], out: Path) -> dict:
    code = (
        "import json, sys; from pathlib import Path; from app.config import Settings; "
        "from evaluation.train_mapping import train; from evaluation.reproducibility import KNOWLEDGE; "
        "print(json.dumps(train(Settings(knowledge_dir=KNOWLEDGE), out=Path(sys.argv[1]))))"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        env=os.environ | env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"training under {name} failed:\n{done.stderr[-2000:]}")
    return {"env": env, "seconds": round(time.perf_counter() - started, 1), "report": json.loads(done.stdout)}


def measure(settings: Settings, names: list[str] | None = None) -> dict:
    """Train under every setting, compare each model with the default run's by numbers and by behaviour."""
    names = names or list(SETTINGS)
    runs: dict[str, dict] = {}
    models: dict[str, MappingModel] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            out = Path(tmp) / f"{name}.json"
            runs[name] = _train_in_process(name, SETTINGS[name], out)
            models[name] = MappingModel.model_validate(json.loads(out.read_text()))
            print(f"trained under {name} in {runs[name]['seconds']} s", file=sys.stderr)
    base_name = names[0]
    base = models[base_name]
    docs = behaviour_texts()
    base_decisions = decisions(settings, base, docs)
    worst: dict[str, float] = {}
    for name in names[1:]:
        diffs = largest_differences(base, models[name])
        moved = decisions(settings, models[name], docs)
        delta = max(
            max(abs(a - b) for a, b in zip(base_decisions.probabilities[k], moved.probabilities[k], strict=True))
            for k in base_decisions.probabilities
        )
        runs[name]["largest_difference_from_default"] = diffs
        runs[name]["largest_probability_change"] = float(f"{delta:.3g}")
        runs[name]["differences_beyond_tolerance"] = model_differences(base, models[name])
        runs[name]["status_flips"] = status_flips(base_decisions, moved)
        for key, value in diffs.items():
            worst[key] = max(worst.get(key, 0.0), value)
    margins = sorted(base_decisions.margin.items(), key=lambda item: item[1])
    effect = tolerance_effect(settings, base, base_decisions, docs)
    return {
        "what": "the mapping model trained from the same data under settings that change floating-point "
        "arithmetic; every run compared with the default run",
        "behaviour_texts": len(docs),
        "decisions": len(base_decisions.status),
        "runs": runs,
        "largest_difference_any_run": {k: float(f"{v:.3g}") for k, v in sorted(worst.items())},
        "largest_probability_change_any_run": max(runs[n]["largest_probability_change"] for n in names[1:]),
        "closest_decisions_to_a_threshold": [
            {"text": source, "standard": sid, "margin": round(m, 6)} for (source, sid), m in margins[:5]
        ],
        "tolerance": TOLERANCE.__dict__,
        "every_weight_pushed_by_the_tolerance": effect,
    }


def tolerance_effect(settings: Settings, model: MappingModel, base: Decisions, docs: list[Document]) -> dict:
    """What a model at the edge of the weight tolerance does: probability changes and flips, three draws."""
    draws = []
    for seed in range(3):
        moved = decisions(settings, pushed_to_tolerance(model, TOLERANCE.weight, seed), docs)
        change = max(
            max(abs(a - b) for a, b in zip(base.probabilities[k], moved.probabilities[k], strict=True))
            for k in base.probabilities
        )
        draws.append(
            {"seed": seed, "largest_probability_change": float(f"{change:.3g}"), "flips": status_flips(base, moved)}
        )
    return {"weight_tolerance": TOLERANCE.weight, "draws": draws}


def main() -> None:
    result = measure(Settings(knowledge_dir=KNOWLEDGE), sys.argv[1:] or None)
    write_result(result, RESULTS)
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
