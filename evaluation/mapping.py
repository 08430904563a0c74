"""`certprep-eval mapping`: the mapping engine against two baselines on the held-out test split.

Reported for "demonstrated": per-standard precision / recall / F1 and macro-F1; the share of
keyword-only passages wrongly marked demonstrated; on the full projects, the share of deliberately
missing standards flagged missing or partial. Baselines, in the same run:
- keyword: a standard is demonstrated when the passage uses one of its naming words;
- cosine: a standard is demonstrated when some sentence's similarity to the standard's texts reaches a
  threshold, tuned for macro-F1 on the training split.
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

import numpy as np

from app.config import Settings
from app.documents import Document
from app.mapping.models import Status
from app.mapping.service import get_analyzer
from evaluation import write_result
from evaluation.mapping_data import Passage, load_passages, load_projects

RESULTS = Path(__file__).parent / "results" / "mapping.json"
PROGRAM = "cpt"


def prf(pred: list[bool], gold: list[bool]) -> dict[str, float]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def scores(ids: list[str], passages: list[Passage], predicted: list[set[str]]) -> dict:
    per = {}
    for sid in ids:
        per[sid] = prf([sid in p for p in predicted], [sid in x.demonstrated for x in passages])
    keyword_only = [i for i, x in enumerate(passages) if x.hard_case == "keyword_only"]
    wrong = [passages[i].id for i in keyword_only if predicted[i]]
    exact = sum(set(x.demonstrated) == p for x, p in zip(passages, predicted, strict=True))
    return {
        "macro_f1": round(float(np.mean([v["f1"] for v in per.values()])), 4),
        "per_standard": per,
        "keyword_only_passages": len(keyword_only),
        "keyword_only_marked_demonstrated": len(wrong),
        "keyword_only_false_demonstrated_rate": round(len(wrong) / len(keyword_only), 4) if keyword_only else None,
        "keyword_only_wrong_ids": wrong,
        "exact_match": round(exact / len(passages), 4) if passages else None,
    }


def _cosine_best(analyzer, passages: list[Passage]) -> np.ndarray:
    out = []
    for passage in passages:
        prep = analyzer.prepare(passage.text)
        out.append(prep.sim.max(axis=0) if len(prep.keep) else np.zeros(len(analyzer.protos.standards)))
    return np.asarray(out)


def _tune_cosine(ids: list[str], passages: list[Passage], best: np.ndarray) -> float:
    top, top_f1 = 0.5, -1.0
    for t in np.arange(0.2, 0.9, 0.01):
        predicted = [{sid for s, sid in enumerate(ids) if row[s] >= t} for row in best]
        f1 = scores(ids, passages, predicted)["macro_f1"]
        if f1 > top_f1:
            top, top_f1 = round(float(t), 2), f1
    return top


def evaluate(settings: Settings, repeats: int = 3) -> dict:
    analyzer = get_analyzer(settings, PROGRAM)
    ids = [s.id for s in analyzer.kb.standards]
    passages = load_passages()
    train = [p for p in passages if p.split == "train"]
    test = [p for p in passages if p.split == "test"]

    engine_pred = []
    for p in test:
        result = analyzer.analyze(Document(source=p.id, text=p.text))
        engine_pred.append({s.id for s in result.standards if s.status is Status.demonstrated})

    keyword_pred = []
    for p in test:
        keyword_pred.append(
            {
                proto.standard.id
                for proto in analyzer.protos.standards
                if proto.keywords and proto.keywords.search(p.text)
            }
        )
    threshold = _tune_cosine(ids, train, _cosine_best(analyzer, train))
    cosine_pred = [{sid for s, sid in enumerate(ids) if row[s] >= threshold} for row in _cosine_best(analyzer, test)]

    projects = load_projects()
    project_rows = []
    flagged = total_missing = agree = labelled = 0
    for project in projects:
        result = analyzer.analyze(Document(source=project.id, text=project.text))
        statuses = {s.id: s.status.value for s in result.standards}
        for sid in project.deliberately_missing:
            total_missing += 1
            flagged += statuses[sid] in ("missing", "partial")
        for sid, gold in project.labels.items():
            labelled += 1
            agree += statuses[sid] == gold
        project_rows.append(
            {
                "id": project.id,
                "words": len(project.text.split()),
                "deliberately_missing": project.deliberately_missing,
                "predicted": statuses,
                "gold": project.labels,
            }
        )

    result = {
        "program": PROGRAM,
        "split": {"train_passages": len(train), "test_passages": len(test), "projects": len(projects)},
        "engine": scores(ids, test, engine_pred),
        "baseline_keyword": scores(ids, test, keyword_pred),
        "baseline_cosine": scores(ids, test, cosine_pred) | {"threshold_tuned_on_train": threshold},
        "test_by_batch": _by_batch(ids, test, {"engine": engine_pred, "keyword": keyword_pred, "cosine": cosine_pred}),
        "projects": {
            "deliberately_missing": total_missing,
            "flagged_missing_or_partial": flagged,
            "share_flagged": round(flagged / total_missing, 4) if total_missing else None,
            "status_accuracy": round(agree / labelled, 4) if labelled else None,
            "rows": project_rows,
        },
        "latency_900_words": warm_latency(analyzer, projects, repeats),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
    }
    return result


# Labelled batches by id range, in the order they were written (see the passages file's header).
BATCHES = (("first_batch", "m100", "m500"), ("second_batch", "m500", "m700"), ("third_batch", "m700", "m900"))


def _by_batch(ids: list[str], test: list[Passage], predicted: dict[str, list[set[str]]]) -> dict:
    """Macro-F1 per labelled batch, so a change of method can be compared on the test passages earlier
    results were measured on, and the newest batch shows how the method does on text written after it."""
    out = {}
    for name, low, high in BATCHES:
        rows = [i for i, p in enumerate(test) if low <= p.id < high]
        out[name] = {"passages": len(rows)} | {
            method: scores(ids, [test[i] for i in rows], [pred[i] for i in rows])["macro_f1"]
            for method, pred in predicted.items()
        }
    return out


def warm_latency(analyzer, projects, repeats: int, digits: int = 4) -> dict:
    """Seconds per analysis of several ~900-word narratives in one process, model and prototypes loaded
    (the issue's latency target; the mapping eval and `make bench` both measure it this way)."""
    return time_analyses(analyzer, _long_narratives(projects), repeats, digits)


def time_analyses(analyzer, texts: list[str], repeats: int, digits: int = 4) -> dict:
    """Seconds per warm analysis of each text, after one analysis to warm up."""
    analyzer.analyze(Document(source="warm-up", text=texts[0]))
    seconds = []
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            analyzer.analyze(Document(source="bench", text=text))
            seconds.append(time.perf_counter() - started)
    return {
        "narratives": len(texts),
        "words": [len(t.split()) for t in texts],
        "runs": len(seconds),
        "median_s": round(statistics.median(seconds), digits),
        "max_s": round(max(seconds), digits),
    }


def _long_narratives(projects) -> list[str]:
    """~900-word texts built from the project narratives (joined in pairs, cut at 900 words)."""
    texts = []
    for i in range(0, len(projects), 2):
        words = " ".join(p.text for p in projects[i : i + 2]).split(" ")
        texts.append(" ".join(words[:900]))
    return texts


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def write(result: dict, out: Path = RESULTS) -> Path:
    return write_result(result, out, indent=1)


def table(result: dict) -> str:
    """A side-by-side text summary of the engine and the baselines on the test split."""
    methods = [("engine", "engine"), ("keyword", "baseline_keyword"), ("cosine", "baseline_cosine")]
    ids = list(result["engine"]["per_standard"])
    lines = [f"test split: {result['split']['test_passages']} passages (F1 for 'demonstrated')"]
    lines.append(f"{'standard':<10}" + "".join(f"{name:>10}" for name, _ in methods))
    for sid in ids:
        lines.append(f"{sid:<10}" + "".join(f"{result[key]['per_standard'][sid]['f1']:>10.3f}" for _, key in methods))
    lines.append(f"{'macro-F1':<10}" + "".join(f"{result[key]['macro_f1']:>10.3f}" for _, key in methods))
    lines.append(
        f"{'kw-only':<10}"
        + "".join(
            f"{result[key]['keyword_only_marked_demonstrated']:>7}/{result[key]['keyword_only_passages']:<2}"
            for _, key in methods
        )
        + "  (keyword-only passages marked demonstrated)"
    )
    projects = result["projects"]
    lines.append(
        f"projects: {projects['flagged_missing_or_partial']}/{projects['deliberately_missing']} deliberately "
        f"missing standards flagged missing or partial; status accuracy {projects['status_accuracy']}"
    )
    latency = result["latency_900_words"]
    lines.append(f"warm analysis of ~900 words: median {latency['median_s']} s, max {latency['max_s']} s")
    return "\n".join(lines)
