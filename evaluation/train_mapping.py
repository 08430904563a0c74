"""`certprep train mapping`: fit the mapping classifier on the training split, reproducibly.

Only passages whose id hashes into `train` are read. Decision thresholds are chosen by 5-fold
cross-validation inside the training split; the similarity cut-offs for quoting evidence and meeting
criteria are read off the training positives. The test split is never opened here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from app.config import Settings
from app.embeddings import get_embedder
from app.knowledge.loader import load_knowledge
from app.mapping.analyzer import NarrativeAnalyzer
from app.mapping.classifier import MODEL_PATH, Head, MappingModel
from app.mapping.features import FEATURES
from evaluation.mapping_data import PASSAGES, load_passages

PROGRAM = "cpt"
MIN_EVIDENCE_CONCRETENESS = 0.4  # an action, or two of figures / people / data, in one sentence
C = 1.0
FOLDS = 5


def blank_model() -> MappingModel:
    """A model with no weights, used only to compute features while training."""
    head = Head(coef=[0.0] * len(FEATURES), intercept=0.0, threshold=0.5)
    return MappingModel(
        features=FEATURES,
        mean=[0.0] * len(FEATURES),
        scale=[1.0] * len(FEATURES),
        demonstrated=head,
        present=head,
        evidence_similarity=0.0,
        criterion_similarity=0.0,
        min_evidence_concreteness=MIN_EVIDENCE_CONCRETENESS,
    )


def passage_features(analyzer: NarrativeAnalyzer, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features of a passage taken as one unit (n_std, n_features), its per-standard best similarity, and
    per standard the best similarity of a concrete sentence to one of the standard's criteria."""
    prep = analyzer.prepare(text)
    prep.units = [list(range(len(prep.keep)))] if prep.keep else []
    if prep.units:
        vec = np.asarray(analyzer.embedder.embed([prep.seg.sentences[i].text for i in prep.keep])).mean(axis=0)
        prep.unit_sim = analyzer.standard_scores((vec / (np.linalg.norm(vec) or 1.0))[None, :])
    features = analyzer.unit_matrix(prep)
    n_std = len(analyzer.protos.standards)
    if not len(features):
        return np.zeros((n_std, len(FEATURES))), np.zeros(n_std), np.zeros(n_std)
    concrete = [r for r in range(len(prep.keep)) if prep.conc[r] >= MIN_EVIDENCE_CONCRETENESS]
    best_criterion = np.array(
        [float(prep.crit_sim[s][concrete].max()) if concrete and prep.crit_sim[s].size else 0.0 for s in range(n_std)]
    )
    return features[0], prep.sim.max(axis=0) if len(prep.keep) else np.zeros(n_std), best_criterion


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.2, 0.81, 0.02):
        pred = p >= t
        tp = float((pred & y).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(round(t, 2)), f1
    return best


def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(x, y)


def train(settings: Settings, out: Path = MODEL_PATH) -> dict:
    kb = load_knowledge(settings.knowledge_dir)[PROGRAM]
    analyzer = NarrativeAnalyzer(kb, get_embedder(settings.embedding_model_path), settings.prompts_dir, blank_model())
    ids = [s.id for s in kb.standards]
    passages = [p for p in load_passages() if p.split == "train"]
    rows, y_dem, y_pres, groups, top_sim, top_crit = [], [], [], [], [], []
    for g, passage in enumerate(passages):
        feats, best, best_criterion = passage_features(analyzer, passage.text)
        for s, sid in enumerate(ids):
            rows.append(feats[s])
            label = passage.label(sid)
            y_dem.append(label == "demonstrated")
            y_pres.append(label != "missing")
            groups.append(g)
            top_sim.append(best[s])
            top_crit.append(best_criterion[s])
    x = np.asarray(rows)
    y_dem_a, y_pres_a = np.asarray(y_dem), np.asarray(y_pres)
    groups_a, top_sim_a = np.asarray(groups), np.asarray(top_sim)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    xs = (x - mean) / scale

    # out-of-fold probabilities pick the thresholds (folds by passage, deterministic)
    fold = groups_a % FOLDS
    oof_dem, oof_pres = np.zeros(len(xs)), np.zeros(len(xs))
    for k in range(FOLDS):
        tr, te = fold != k, fold == k
        oof_dem[te] = _fit(xs[tr], y_dem_a[tr]).predict_proba(xs[te])[:, 1]
        oof_pres[te] = _fit(xs[tr], y_pres_a[tr]).predict_proba(xs[te])[:, 1]
    dem_model, pres_model = _fit(xs, y_dem_a), _fit(xs, y_pres_a)
    positives = top_sim_a[y_dem_a]
    model = MappingModel(
        features=FEATURES,
        mean=[round(float(v), 6) for v in mean],
        scale=[round(float(v), 6) for v in scale],
        demonstrated=Head(
            coef=[round(float(v), 6) for v in dem_model.coef_[0]],
            intercept=round(float(dem_model.intercept_[0]), 6),
            threshold=_best_threshold(y_dem_a, oof_dem),
        ),
        present=Head(
            coef=[round(float(v), 6) for v in pres_model.coef_[0]],
            intercept=round(float(pres_model.intercept_[0]), 6),
            threshold=_best_threshold(y_pres_a, np.maximum(oof_pres, oof_dem)),
        ),
        # a quote must be about as close to the standard as the weakest 10% of real evidence
        evidence_similarity=round(float(np.quantile(positives, 0.10)), 3),
        # a criterion is met when a concrete sentence is as close to it as the best-matching criterion is
        # for three quarters of the passages that really demonstrate the standard
        criterion_similarity=round(float(np.quantile(np.asarray(top_crit)[y_dem_a], 0.25)), 3),
        min_evidence_concreteness=MIN_EVIDENCE_CONCRETENESS,
        trained_on={
            "data": PASSAGES.name,
            "data_sha256": hashlib.sha256(PASSAGES.read_bytes()).hexdigest()[:16],
            "program": PROGRAM,
            "passages": len(passages),
            "pairs": len(xs),
            "demonstrated_pairs": int(y_dem_a.sum()),
            "present_pairs": int(y_pres_a.sum()),
            "C": C,
        },
    )
    # out-of-fold macro-F1 on the training split: the number to watch while developing (never the test split)
    t = model.demonstrated.threshold
    per_standard = []
    for s in range(len(ids)):
        mask = np.arange(len(xs)) % len(ids) == s
        pred, gold = oof_dem[mask] >= t, y_dem_a[mask]
        tp = float((pred & gold).sum())
        denominator = pred.sum() + gold.sum()
        per_standard.append(2 * tp / denominator if denominator else 1.0)
    model.trained_on["cv_macro_f1"] = round(float(np.mean(per_standard)), 4)
    out.write_text(json.dumps(model.model_dump(), indent=1) + "\n")
    return model.trained_on | {
        "thresholds": {"demonstrated": model.demonstrated.threshold, "present": model.present.threshold},
        "evidence_similarity": model.evidence_similarity,
        "criterion_similarity": model.criterion_similarity,
    }
