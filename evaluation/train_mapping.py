"""`certprep train mapping`: fit the mapping classifier on the training split, reproducibly.

Only passages whose id hashes into `train` are read. Decision thresholds are chosen by 5-fold
cross-validation inside the training split; the similarity cut-offs for quoting evidence and meeting
criteria are read off the training positives. The test split is never opened here.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from app.config import Settings
from app.embeddings import get_embedder
from app.knowledge.loader import load_knowledge
from app.mapping.analyzer import NarrativeAnalyzer
from app.mapping.classifier import MODEL_PATH, EmbeddingHead, Head, MappingModel
from app.mapping.features import FEATURES
from evaluation.mapping_data import PASSAGES, load_passages

PROGRAM = "cpt"
MIN_EVIDENCE_CONCRETENESS = 0.4  # an action, or two of figures / people / data, in one sentence
MIN_CONCRETE_SENTENCES = 2  # chosen by cross-validation on train: one such sentence let claims through
C = 1.0
HEAD_C = 3.0  # the embedding heads' regularisation, chosen by cross-validation on train
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
        min_concrete_sentences=MIN_CONCRETE_SENTENCES,
    )


def passage_features(
    analyzer: NarrativeAnalyzer, text: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """For a passage read as one unit: its features (n_std, n_features), per standard its best sentence
    similarity and the best similarity of a concrete sentence to one of the standard's criteria, the
    unit's embedding (what the heads read) and how many of its sentences describe work."""
    prep = analyzer.prepare(text, single_unit=True)
    n_std = len(analyzer.protos.standards)
    if not prep.units:
        dim = analyzer.protos.standards[0].vectors.shape[1]
        return np.zeros((n_std, len(FEATURES))), np.zeros(n_std), np.zeros(n_std), np.zeros(dim), 0
    features = analyzer.unit_matrix(prep)
    concrete = [r for r in range(len(prep.keep)) if prep.conc[r] >= MIN_EVIDENCE_CONCRETENESS]
    best_criterion = np.array(
        [float(prep.crit_sim[s][concrete].max()) if concrete and prep.crit_sim[s].size else 0.0 for s in range(n_std)]
    )
    return features[0], prep.sim.max(axis=0), best_criterion, prep.unit_vecs[0], len(concrete)


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.2, 0.96, 0.02):
        pred = p >= t
        tp = float((pred & y).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(round(t, 2)), f1
    return best


def _fit(x: np.ndarray, y: np.ndarray, c: float = C):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(x, y)


def _fit_heads(vectors: np.ndarray, y: np.ndarray) -> list:
    """One embedding classifier per standard (column of ``y``)."""
    return [_fit(vectors, y[:, s], HEAD_C) for s in range(y.shape[1])]


def _apply_heads(heads: list, vectors: np.ndarray) -> np.ndarray:
    return np.stack([h.predict_proba(vectors)[:, 1] for h in heads], axis=1)


def _out_of_fold_heads(vectors: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Head probabilities for passages the heads were not trained on, so the shared model learns how far
    to trust a head on unseen text, not on its own training data."""
    fold = np.arange(len(vectors)) % FOLDS
    out = np.zeros(y.shape)
    for k in range(FOLDS):
        out[fold == k] = _apply_heads(_fit_heads(vectors[fold != k], y[fold != k]), vectors[fold == k])
    return out


def _with_heads(x: np.ndarray, heads: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[:, :, FEATURES.index("head")] = heads
    return x


def _fit_shared(x: np.ndarray, y_dem: np.ndarray, y_pres: np.ndarray):
    """The scaling and the two shared heads on (passages, standards, features) arrays."""
    flat = x.reshape(-1, x.shape[-1])
    mean, scale = flat.mean(axis=0), flat.std(axis=0)
    scale[scale < 1e-9] = 1.0
    xs = (flat - mean) / scale
    return mean, scale, _fit(xs, y_dem.reshape(-1)), _fit(xs, y_pres.reshape(-1))


def _predict_shared(fitted, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, scale, dem, pres = fitted
    xs = (x.reshape(-1, x.shape[-1]) - mean) / scale
    shape = x.shape[:2]
    return dem.predict_proba(xs)[:, 1].reshape(shape), pres.predict_proba(xs)[:, 1].reshape(shape)


def _dump(data: dict) -> str:
    """Indented JSON with every list of numbers on one line, so a retrained model diffs readably."""
    numbers = re.compile(r"\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]")

    def one_line(match: re.Match) -> str:
        return "[" + ", ".join(v.strip() for v in match.group(1).split(",")) + "]"

    return numbers.sub(one_line, json.dumps(data, indent=1)) + "\n"


def _rounded(values) -> list[float]:
    return [round(float(v), 6) for v in values]


def train(settings: Settings, out: Path = MODEL_PATH) -> dict:
    kb = load_knowledge(settings.knowledge_dir)[PROGRAM]
    analyzer = NarrativeAnalyzer(kb, get_embedder(settings.embedding_model_path), settings.prompts_dir, blank_model())
    ids = [s.id for s in kb.standards]
    passages = [p for p in load_passages() if p.split == "train"]
    rows, vectors, best_sim, best_crit, work = [], [], [], [], []
    for passage in passages:
        feats, best, best_criterion, vector, concrete = passage_features(analyzer, passage.text)
        work.append(concrete)
        rows.append(feats)
        best_sim.append(best)
        best_crit.append(best_criterion)
        vectors.append(vector)
    x, e = np.asarray(rows), np.asarray(vectors)  # (passages, standards, features), (passages, dim)
    y_dem = np.array([[p.label(sid) == "demonstrated" for sid in ids] for p in passages])
    y_pres = np.array([[p.label(sid) != "missing" for sid in ids] for p in passages])
    # the analyzer never calls a passage with too little described work demonstrated (claims are partial)
    described = (np.asarray(work) >= MIN_CONCRETE_SENTENCES)[:, None]

    # out-of-fold probabilities pick the thresholds (folds by passage, deterministic); the heads are
    # refitted inside each fold so that no passage's own label reaches its prediction
    fold = np.arange(len(passages)) % FOLDS
    oof_dem, oof_pres = np.zeros(y_dem.shape), np.zeros(y_dem.shape)
    for k in range(FOLDS):
        tr, te = fold != k, fold == k
        inner = _out_of_fold_heads(e[tr], y_dem[tr])
        outer = _apply_heads(_fit_heads(e[tr], y_dem[tr]), e[te])
        fitted = _fit_shared(_with_heads(x[tr], inner), y_dem[tr], y_pres[tr])
        oof_dem[te], oof_pres[te] = _predict_shared(fitted, _with_heads(x[te], outer))

    head_column = _out_of_fold_heads(e, y_dem)
    mean, scale, dem_model, pres_model = _fit_shared(_with_heads(x, head_column), y_dem, y_pres)
    heads = _fit_heads(e, y_dem)
    positives = np.asarray(best_sim)[y_dem]
    model = MappingModel(
        features=FEATURES,
        mean=_rounded(mean),
        scale=_rounded(scale),
        demonstrated=Head(
            coef=_rounded(dem_model.coef_[0]),
            intercept=round(float(dem_model.intercept_[0]), 6),
            threshold=_best_threshold(y_dem.reshape(-1), (oof_dem * described).reshape(-1)),
        ),
        present=Head(
            coef=_rounded(pres_model.coef_[0]),
            intercept=round(float(pres_model.intercept_[0]), 6),
            threshold=_best_threshold(y_pres.reshape(-1), np.maximum(oof_pres, oof_dem).reshape(-1)),
        ),
        heads={
            PROGRAM: {
                sid: EmbeddingHead(coef=_rounded(h.coef_[0]), intercept=round(float(h.intercept_[0]), 6))
                for sid, h in zip(ids, heads, strict=True)
            }
        },
        head_neutral=round(float(head_column.mean()), 6),
        # a quote must be about as close to the standard as the weakest 10% of real evidence
        evidence_similarity=round(float(np.quantile(positives, 0.10)), 3),
        # a criterion is met when a concrete sentence is as close to it as the best-matching criterion is
        # for three quarters of the passages that really demonstrate the standard
        criterion_similarity=round(float(np.quantile(np.asarray(best_crit)[y_dem], 0.25)), 3),
        min_evidence_concreteness=MIN_EVIDENCE_CONCRETENESS,
        min_concrete_sentences=MIN_CONCRETE_SENTENCES,
        trained_on={
            "data": PASSAGES.name,
            "data_sha256": hashlib.sha256(PASSAGES.read_bytes()).hexdigest()[:16],
            "program": PROGRAM,
            "passages": len(passages),
            "pairs": int(y_dem.size),
            "demonstrated_pairs": int(y_dem.sum()),
            "present_pairs": int(y_pres.sum()),
            "C": C,
            "head_C": HEAD_C,
        },
    )
    # out-of-fold macro-F1 on the training split: the number to watch while developing (never the test split)
    pred = (oof_dem >= model.demonstrated.threshold) & described
    per_standard = []
    for s in range(len(ids)):
        denominator = pred[:, s].sum() + y_dem[:, s].sum()
        per_standard.append(2 * float((pred[:, s] & y_dem[:, s]).sum()) / denominator if denominator else 1.0)
    model.trained_on["cv_macro_f1"] = round(float(np.mean(per_standard)), 4)
    out.write_text(_dump(model.model_dump()))
    return model.trained_on | {
        "thresholds": {"demonstrated": model.demonstrated.threshold, "present": model.present.threshold},
        "evidence_similarity": model.evidence_similarity,
        "criterion_similarity": model.criterion_similarity,
    }
