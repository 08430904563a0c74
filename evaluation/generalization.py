"""`certprep-eval generalization`: the mapping engine on writing it was not developed on.

Test data: the independent batches by authors ``B-*`` (`independent_data.py`), one author per style, never
read by training or tuning. Reported for "demonstrated", per style and per standard: precision, recall,
F1; the worst style; recall on texts that carry three or more standards; hard negatives (standards a text
only names, plans or watches) marked demonstrated; deliberately missing standards of full projects that are
flagged; agreement between the two readers (Cohen's kappa); warm latency. In the same run, the baselines:
the earlier passage-level engine (issue 17's model), keyword matching, and sentence cosine similarity with a
threshold tuned on the training split. Every run on the test batches is counted (``test_looks``).

``--loso`` adds leave-one-style-out on the development batches (each style's author is held out, the
sentence model fine-tuned on everything else: about 2.5 minutes per style on 2 cores) and one fold that
holds out the original passages' author instead.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

from app.config import Settings
from app.documents import Document, segment
from app.embeddings import get_embedder
from app.mapping.analyzer import NarrativeAnalyzer
from app.mapping.service import get_analyzer
from evaluation import write_result
from evaluation.independent_data import IndependentItem, load_independent, load_test_set
from evaluation.mapping import _cosine_best, _cpus, _tune_cosine, time_analyses
from evaluation.mapping import prf as mapping_prf
from evaluation.mapping_data import Passage, load_passages

RESULTS = Path(__file__).parent / "results" / "generalization.json"
PROGRAM = "cpt"
HARD = ("keyword_only", "planned", "someone_else", "off_topic")


def prf(pred: np.ndarray, gold: np.ndarray) -> dict:
    """The mapping eval's precision / recall / F1, on boolean arrays."""
    return mapping_prf(pred.tolist(), gold.tolist())


def macro(pred: np.ndarray, gold: np.ndarray, ids: list[str]) -> dict:
    """Macro-F1 over the standards that occur (a standard with no positive and no prediction is skipped)."""
    per = {sid: prf(pred[:, s], gold[:, s]) for s, sid in enumerate(ids)}
    counted = [v["f1"] for s, v in enumerate(per.values()) if gold[:, s].any() or pred[:, s].any()]
    overall = prf(pred.reshape(-1), gold.reshape(-1))
    return {
        "macro_f1": round(float(np.mean(counted)), 4) if counted else None,
        "precision": overall["precision"],
        "recall": overall["recall"],
        "per_standard": per,
    }


def kappa(a: list[str], b: list[str]) -> float | None:
    labels = sorted(set(a) | set(b))
    n = len(a)
    if not n or len(labels) < 2:
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((a.count(k) / n) * (b.count(k) / n) for k in labels)
    return round((observed - expected) / (1 - expected), 4) if expected < 1 else None


def agreement(items: list[IndependentItem], ids: list[str]) -> dict:
    """Writer's intent against the blind labeller, before adjudication, per standard and overall."""

    def label(readers: dict, sid: str) -> str:
        return readers.get(sid, "missing")

    per = {}
    for sid in ids:
        a = [label(x.readers.writer, sid) for x in items]
        b = [label(x.readers.labeller, sid) for x in items]
        per[sid] = {
            "kappa_demonstrated": kappa([v == "demonstrated" for v in a], [v == "demonstrated" for v in b]),
            "kappa_3way": kappa(a, b),
        }
    a = [label(x.readers.writer, sid) for x in items for sid in ids]
    b = [label(x.readers.labeller, sid) for x in items for sid in ids]
    disputed = sum(len(x.readers.adjudicator) for x in items)
    return {
        "pairs": len(a),
        "kappa_demonstrated": kappa([v == "demonstrated" for v in a], [v == "demonstrated" for v in b]),
        "kappa_3way": kappa(a, b),
        "adjudicated_pairs": disputed,
        "per_standard": per,
    }


def _predict(analyzer: NarrativeAnalyzer, texts: list[str], ids: list[str]) -> np.ndarray:
    out = []
    for i, text in enumerate(texts):
        result = analyzer.analyze(Document(source=f"t{i}", text=text))
        out.append([result.status(sid).value == "demonstrated" for sid in ids])
    return np.array(out, dtype=bool)


def _keyword(analyzer: NarrativeAnalyzer, texts: list[str]) -> np.ndarray:
    return np.array([[bool(p.keywords and p.keywords.search(t)) for p in analyzer.protos.standards] for t in texts])


def report(items: list[IndependentItem], predictions: dict[str, np.ndarray], ids: list[str]) -> dict:
    """Per method: overall, per style, the worst style, dense texts, hard negatives and projects."""
    gold = np.array([[x.label(sid) == "demonstrated" for sid in ids] for x in items])
    styles = sorted({x.style for x in items})
    out = {}
    for method, pred in predictions.items():
        by_style = {}
        for style in styles:
            rows = [i for i, x in enumerate(items) if x.style == style]
            by_style[style] = {"texts": len(rows)} | macro(pred[rows], gold[rows], ids)
        dense = [i for i, x in enumerate(items) if gold[i].sum() >= 3]
        hard_pairs = [
            (i, s)
            for i, x in enumerate(items)
            if x.kind in HARD or x.style == "hardneg"
            for s, sid in enumerate(ids)
            if x.label(sid) == "partial"
        ]
        wrong_hard = [f"{items[i].id} {ids[s]}" for i, s in hard_pairs if pred[i, s]]
        projects = [i for i, x in enumerate(items) if x.kind == "project"]
        missing = [(i, s) for i in projects for s, sid in enumerate(ids) if items[i].label(sid) == "missing"]
        out[method] = {
            "overall": macro(pred, gold, ids),
            "by_style": by_style,
            "worst_style": min(by_style, key=lambda k: by_style[k]["macro_f1"]),
            "worst_style_macro_f1": min(v["macro_f1"] for v in by_style.values()),
            "dense_texts": {
                "texts": len(dense),
                "recall": prf(pred[dense].reshape(-1), gold[dense].reshape(-1))["recall"] if dense else None,
            },
            "hard_negatives": {
                "pairs": len(hard_pairs),
                "marked_demonstrated": len(wrong_hard),
                "ids": wrong_hard,
            },
            "projects_missing_flagged": {
                "missing": len(missing),
                "not_demonstrated": sum(not pred[i, s] for i, s in missing),
            },
        }
    return out


def evaluate(
    settings: Settings, previous: dict | None = None, test_set: str = "F", compare: Path | None = None
) -> dict:
    """``test_set``: one of `TEST_SETS` (``B`` to ``E`` were measured while open, before they were retired into
    development data; ``F`` measured issue 19's data round); each keeps its own results file and count of
    looks. The engine runs as configured (its sentence model on ``mapping_runtime``); the same engine on the
    fp32 graphs is measured beside it, and with ``compare`` (a sentence model's folder) that model too, as
    ``previous_engine``."""
    sentence = get_analyzer(settings, PROGRAM)
    if sentence.evidence is None:
        raise RuntimeError("the CPT sentence evidence model is missing: run `certprep-eval train`")
    kb, embedder = sentence.kb, get_embedder(settings.embedding_model_path, settings)
    passage = NarrativeAnalyzer(kb, embedder, settings.prompts_dir, evidence=False)
    single = NarrativeAnalyzer(kb, embedder, settings.prompts_dir, evidence=_first_member(settings, sentence))
    ids = [s.id for s in kb.standards]
    earlier = _engine_from(settings, sentence, compare) if compare else None
    test = load_test_set(test_set)
    dev = load_independent("dev")
    texts = [x.text for x in test]
    train = [p for p in load_passages() if p.split == "train"]
    threshold = _tune_cosine(ids, train, _cosine_best(passage, train))
    predictions = {
        "sentence_engine": _predict(sentence, texts, ids),
        "sentence_engine_fp32": _predict(_on_fp32(settings, sentence), texts, ids),
        "one_member": _predict(single, texts, ids),
        **({"previous_engine": _predict(earlier, texts, ids)} if earlier else {}),
        "passage_engine": _predict(passage, texts, ids),
        "keyword": _keyword(passage, texts),
        "cosine": np.array([row >= threshold for row in _cosine_best(passage, test)], dtype=bool),
    }
    existing_test = [p for p in load_passages() if p.split == "test"]
    engines = {
        "sentence_engine": sentence,
        "sentence_engine_fp32": _on_fp32(settings, sentence),
        "passage_engine": passage,
    }
    existing = _existing(existing_test, engines, ids)
    projects = [x.text for x in test if x.kind == "project"]
    looks = int((previous or {}).get("test_looks", 0)) + 1
    return {
        "program": PROGRAM,
        "test_set": test_set,
        "engine_trained_on": sentence.evidence.config.trained_on,
        **({"previous_engine_trained_on": earlier.evidence.config.trained_on} if earlier and earlier.evidence else {}),
        "test_looks": looks,
        "test": _summary(test, ids),
        "methods": report(test, predictions, ids),
        "cosine_threshold_tuned_on_train": threshold,
        "existing_test_split": existing,
        "reader_agreement": {"dev": agreement(dev, ids), "test": agreement(test, ids)},
        "latency_project_narratives": time_analyses(sentence, projects, repeats=3),
        "latency_project_narratives_passage_engine": time_analyses(passage, projects, repeats=3),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "loso_dev": (previous or {}).get("loso_dev"),
    }


def _engine_from(settings: Settings, sentence: NarrativeAnalyzer, folder: Path) -> NarrativeAnalyzer:
    """The same engine with the sentence model kept in ``folder`` (another training of it)."""
    from app.mapping.evidence import load_evidence_model
    from app.mapping.service import mapping_embedder

    evidence = load_evidence_model(PROGRAM, mapping_embedder(settings), folder, settings.mapping_worker_count)
    if evidence is None:
        raise ValueError(f"{folder} holds no {PROGRAM} sentence model ({PROGRAM}.json and its weights)")
    return NarrativeAnalyzer(
        sentence.kb, sentence.embedder, settings.prompts_dir, model=sentence.model, evidence=evidence
    )


def _on_fp32(settings: Settings, sentence: NarrativeAnalyzer) -> NarrativeAnalyzer:
    """The same engine with its sentence model on the fp32 graphs (or PyTorch), whatever the default."""
    runtime = settings.inference_runtime if settings.inference_runtime != "onnx-int8" else "onnx-fp32"
    return get_analyzer(settings.model_copy(update={"mapping_runtime": runtime}), PROGRAM)


def _first_member(settings: Settings, sentence: NarrativeAnalyzer):
    """The sentence model's first member alone, with the thresholds its own out-of-fold probabilities give:
    the engine as it was before it had several members (issue 19's baseline for that change). Read from the
    folder the engine itself was loaded from (a re-trained model in the models folder, else the shipped one)."""
    from app.mapping.evidence import build_evidence_model
    from app.mapping.service import mapping_embedder, model_paths
    from evaluation.train_evidence import member_thresholds

    assert sentence.evidence is not None
    weights = model_paths(settings)[1] / f"{PROGRAM}.npz"
    chosen = member_thresholds(PROGRAM, 0)
    config = sentence.evidence.config.single(weights).model_copy(
        update={"demonstrated": chosen["demonstrated"], "partial": chosen["partial"], "quote": chosen["partial"]}
    )
    return build_evidence_model(config, weights, mapping_embedder(settings), settings.mapping_worker_count)


def _summary(items: list[IndependentItem], ids: list[str]) -> dict:
    return {
        "texts": len(items),
        "authors": sorted({x.author for x in items}),
        "sentences": sum(len(segment(x.text).sentences) for x in items),
        "demonstrated_pairs": int(sum(x.label(s) == "demonstrated" for x in items for s in ids)),
    }


def results_path(program: str, test_set: str = "B") -> Path:
    if program != PROGRAM:
        return RESULTS.with_name(f"generalization_{program}.json")
    return RESULTS if test_set == "B" else RESULTS.with_name(f"generalization_{test_set}.json")


def evaluate_program(settings: Settings, program: str, previous: dict | None = None) -> dict:
    """Another program's independent test batches: the engine that program ships (its own sentence model
    when one was trained on its development batches, else the standard-agnostic passage engine, which is
    then also reported as a baseline) against keyword matching and sentence cosine similarity, whose
    threshold is tuned on the CPT training split (nothing is tuned on this program's test texts)."""
    from evaluation.independent_data import INDEPENDENT

    engine = get_analyzer(settings, program)
    items = [x for x in load_independent(path=INDEPENDENT / program) if x.split == "test"]
    if not items:
        raise RuntimeError(f"no independent batches for {program!r} in {INDEPENDENT / program}")
    ids = [s.id for s in engine.kb.standards]
    texts = [x.text for x in items]
    cpt = NarrativeAnalyzer(get_analyzer(settings, PROGRAM).kb, engine.embedder, settings.prompts_dir, evidence=False)
    train = [p for p in load_passages() if p.split == "train"]
    threshold = _tune_cosine([s.id for s in cpt.kb.standards], train, _cosine_best(cpt, train))
    predictions = {"engine": _predict(engine, texts, ids)}
    if engine.evidence is not None:  # the program's own sentence model ships: the untrained engine is a baseline
        passage = NarrativeAnalyzer(engine.kb, engine.embedder, settings.prompts_dir, evidence=False)
        predictions["passage_engine"] = _predict(passage, texts, ids)
    predictions |= {
        "keyword": _keyword(engine, texts),
        "cosine": np.array([row >= threshold for row in _cosine_best(engine, items)], dtype=bool),
    }
    long = [x.text for x in items if len(x.text.split()) >= 200]
    return {
        "program": program,
        "engine": "sentence model" if engine.evidence is not None else "passage model (not trained on this program)",
        "test_looks": int((previous or {}).get("test_looks", 0)) + 1,
        "test": _summary(items, ids),
        "methods": report(items, predictions, ids),
        "cosine_threshold_tuned_on_cpt_train": threshold,
        "reader_agreement": {"test": agreement(items, ids)},
        "latency_descriptions_200_words_or_more": time_analyses(engine, long, repeats=3) if long else None,
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
    }


def _existing(test: list[Passage], analyzers: dict[str, NarrativeAnalyzer], ids: list[str]) -> dict:
    gold = np.array([[sid in p.demonstrated for sid in ids] for p in test])
    out = {"passages": len(test)}
    for name, analyzer in analyzers.items():
        pred = _predict(analyzer, [p.text for p in test], ids)
        keyword_only = [i for i, p in enumerate(test) if p.hard_case == "keyword_only"]
        out[name] = macro(pred, gold, ids) | {
            "keyword_only_marked_demonstrated": int(sum(pred[i].any() for i in keyword_only)),
            "keyword_only_passages": len(keyword_only),
        }
        out[name].pop("per_standard")
    return out


def leave_one_style_out(settings: Settings, log=print) -> dict:
    """Fine-tune without one development style (its author), predict that style; then the same holding
    out the original passages' author (test split of mapping_passages.yaml predicted)."""
    from app.mapping.evidence import load_evidence_model
    from app.mapping.signals import own_work
    from evaluation.train_evidence import decide_scores, fit, predict, training_texts

    embedder = get_embedder(settings.embedding_model_path, settings)
    base = embedder.model_path
    shipped = load_evidence_model(PROGRAM, embedder)
    assert shipped is not None
    t_dem = shipped.config.demonstrated
    texts = training_texts()
    ids = shipped.config.standards
    out: dict = {"threshold": t_dem, "note": "thresholds are the shipped ones (chosen on author-held-out folds)"}
    groups = [*sorted({t.style for t in texts if t.group != "existing"}), "existing"]
    for held in groups:
        log(f"leave out {held}")
        train = [t for t in texts if t.style != held]
        network, tokenizer = fit(train, ids, base, log)
        if held == "existing":
            targets = [
                (p.id, [s.text for s in segment(p.text).sentences], set(p.demonstrated))
                for p in load_passages()
                if p.split == "test"
            ]
        else:
            targets = [
                (t.id, t.sentences, {s for s, v in t.labels.items() if v == "demonstrated"})
                for t in texts
                if t.style == held and not t.rewrite  # a rewrite takes its source's style: out of training too
            ]
        pred, gold = [], []
        for _, sentences, demonstrated in targets:
            own, _ = decide_scores(predict(network, tokenizer, sentences), np.array(own_work(sentences), dtype=bool))
            pred.append(own >= t_dem)
            gold.append([sid in demonstrated for sid in ids])
        result = macro(np.array(pred), np.array(gold), ids)
        result.pop("per_standard")
        out[held] = {"texts": len(targets)} | result
        log(f"  {held}: {out[held]}")
    styles = [g for g in groups if g != "existing"]
    out["worst_style"] = min(styles, key=lambda g: out[g]["macro_f1"])
    out["worst_style_macro_f1"] = out[out["worst_style"]]["macro_f1"]
    return out


def previous_result(path: Path = RESULTS) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def write(result: dict, out: Path = RESULTS) -> Path:
    return write_result(result, out, indent=1)


def table(result: dict) -> str:
    methods = list(result["methods"])
    styles = list(result["methods"][methods[0]]["by_style"])
    lines = [
        f"{result.get('program', PROGRAM).upper()} independent test batches: {result['test']['texts']} texts by "
        f"{len(result['test']['authors'])} authors "
        f"(test look {result['test_looks']}); macro-F1 for 'demonstrated'"
    ]
    lines.append(f"{'style':<14}" + "".join(f"{m:>17}" for m in methods))
    for style in styles:
        lines.append(
            f"{style:<14}" + "".join(f"{result['methods'][m]['by_style'][style]['macro_f1']:>17.3f}" for m in methods)
        )
    lines.append(f"{'all':<14}" + "".join(f"{result['methods'][m]['overall']['macro_f1']:>17.3f}" for m in methods))
    lines.append(
        f"{'P / R':<14}"
        + "".join(
            f"{result['methods'][m]['overall']['precision']:>10.2f} / {result['methods'][m]['overall']['recall']:.2f}"
            for m in methods
        )
    )
    lines.append(
        f"{'worst style':<14}" + "".join(f"{result['methods'][m]['worst_style_macro_f1']:>17.3f}" for m in methods)
    )
    lines.append(
        f"{'dense recall':<14}" + "".join(f"{result['methods'][m]['dense_texts']['recall']:>17.3f}" for m in methods)
    )
    lines.append(
        f"{'hard neg. dem':<14}"
        + "".join(
            f"{result['methods'][m]['hard_negatives']['marked_demonstrated']:>13}/"
            f"{result['methods'][m]['hard_negatives']['pairs']:<3}"
            for m in methods
        )
    )
    lines.append(
        f"{'proj. missing':<14}"
        + "".join(
            f"{result['methods'][m]['projects_missing_flagged']['not_demonstrated']:>13}/"
            f"{result['methods'][m]['projects_missing_flagged']['missing']:<3}"
            for m in methods
        )
    )
    agreement = result["reader_agreement"]["test"]
    lines.append(
        f"readers (writer vs blind labeller), test: kappa {agreement['kappa_demonstrated']} (demonstrated), "
        f"{agreement['kappa_3way']} (3 statuses); {agreement['adjudicated_pairs']} pairs adjudicated"
    )
    latency = result.get("latency_project_narratives") or result.get("latency_descriptions_200_words_or_more")
    if latency:
        lines.append(
            f"warm analysis of the longest texts (~{max(latency['words'])} words): median {latency['median_s']} s"
        )
    return "\n".join(lines)
