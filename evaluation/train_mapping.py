"""`certprep-eval train`: fit the mapping classifier on the training split, reproducibly.

Only passages whose id hashes into `train` are read. Decision thresholds are chosen by 5-fold
cross-validation inside the training split; the similarity cut-offs for quoting evidence and meeting
criteria are read off the training positives. The test split is never opened here.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.config import Settings
from app.embeddings import get_embedder
from app.knowledge.loader import load_knowledge
from app.mapping.analyzer import NarrativeAnalyzer
from app.mapping.classifier import Head, LinearHead, MappingModel, SharedHeads, WordHeads, terms
from app.mapping.features import AGNOSTIC, FEATURES
from evaluation.mapping_data import PASSAGES, load_passages

PROGRAM = "cpt"
MIN_EVIDENCE_CONCRETENESS = 0.4  # an action, or two of figures / people / data, in one sentence
MIN_CONCRETE_SENTENCES = 2  # chosen by cross-validation on train: one such sentence let claims through
C = 1.0
HEAD_C = 3.0  # the embedding heads' regularisation, chosen by cross-validation on train
WORDS_C = 3.0  # the word heads' regularisation (1-10 did alike in cross-validation)
WORDS_MAX_TERMS = 1000  # the most frequent words and word pairs that appear in at least WORDS_MIN_DF passages
WORDS_MIN_DF = 2
FOLDS = 5
# The solver runs to a tight tolerance, so two machines whose arithmetic differs in the last bits land on
# the same optimum (the L2-regularised loss has exactly one) instead of stopping at different points
# along the way; a fit that does not converge within MAX_ITER is an error, not a warning.
SOLVER = "newton-cholesky"
TOL = 1e-8
MAX_ITER = 20000


def blank_model() -> MappingModel:
    """A model with no weights, used only to compute features while training."""
    head = Head(coef=[0.0] * len(FEATURES), intercept=0.0, threshold=0.5)
    shared = SharedHeads(columns=FEATURES, demonstrated=head, present=head)
    return MappingModel(
        features=FEATURES,
        mean=[0.0] * len(FEATURES),
        scale=[1.0] * len(FEATURES),
        learned=shared,
        agnostic=shared,
        evidence_similarity=0.0,
        criterion_similarity=0.0,
        min_evidence_concreteness=MIN_EVIDENCE_CONCRETENESS,
        min_concrete_sentences=MIN_CONCRETE_SENTENCES,
    )


@dataclass
class PassageView:
    """A labelled passage read as one unit, the way the analyzer reads a paragraph."""

    features: np.ndarray  # (n_std, n_features)
    best_similarity: np.ndarray  # (n_std,) best sentence-to-standard similarity
    best_criterion: np.ndarray  # (n_std,) best similarity of a work sentence to one of the standard's criteria
    vector: np.ndarray  # the unit's embedding, what the embedding heads read
    text: str  # the unit's sentences, what the word heads read
    work_sentences: int


def passage_view(analyzer: NarrativeAnalyzer, text: str) -> PassageView:
    prep = analyzer.prepare(text, single_unit=True)
    n_std = len(analyzer.protos.standards)
    if not prep.units:
        dim = analyzer.protos.standards[0].vectors.shape[1]
        zeros = np.zeros(n_std)
        return PassageView(np.zeros((n_std, len(FEATURES))), zeros, zeros, np.zeros(dim), "", 0)
    concrete = [r for r in range(len(prep.keep)) if prep.conc[r] >= MIN_EVIDENCE_CONCRETENESS]
    best_criterion = np.array(
        [float(prep.crit_sim[s][concrete].max()) if concrete and prep.crit_sim[s].size else 0.0 for s in range(n_std)]
    )
    return PassageView(
        features=analyzer.unit_matrix(prep)[0],
        best_similarity=prep.sim.max(axis=0),
        best_criterion=best_criterion,
        vector=prep.unit_vecs[0],
        text=" ".join(prep.seg.sentences[i].text for i in prep.keep),
        work_sentences=len(concrete),
    )


THRESHOLD_GRID = [t / 100 for t in range(20, 96, 2)]  # from integers: the same numbers on every machine


def _f1_by_threshold(y: np.ndarray, p: np.ndarray) -> list[float]:
    out = []
    for t in THRESHOLD_GRID:
        pred = p >= t
        tp = float((pred & y).sum())
        out.append(2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0)
    return out


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The grid point with the best out-of-fold F1; the lowest of equal ones."""
    f1 = _f1_by_threshold(y, p)
    return THRESHOLD_GRID[int(np.argmax(np.round(f1, 9)))]


def _threshold_lead(y: np.ndarray, p: np.ndarray) -> float:
    """How far the chosen threshold's F1 leads the best other grid point's, reported so that a narrow choice
    is visible. Another machine's rounding moves a probability by ~2e-6 (results/training_stability.json):
    the choice changes only if an out-of-fold probability sits that close to a grid point."""
    f1 = sorted(_f1_by_threshold(y, p), reverse=True)
    return round(f1[0] - f1[1], 4)


def _fit(x, y: np.ndarray, c: float = C):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return LogisticRegression(C=c, class_weight="balanced", solver=SOLVER, tol=TOL, max_iter=MAX_ITER).fit(x, y)


def select_vocabulary(texts: list[str], limit: int = WORDS_MAX_TERMS, min_df: int = WORDS_MIN_DF) -> list[str]:
    """The ``limit`` most frequent terms (total count) of those in at least ``min_df`` texts.

    Chosen here rather than by TfidfVectorizer(max_features=...), which ranks by an unstable sort: terms
    with equal counts (most of them) were kept or dropped by the CPU's sort code, so two machines learned
    on different vocabularies. Ties go to the term's spelling; the result is in alphabetical order."""
    total: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for text in texts:
        counts = Counter(terms(text))
        total.update(counts)
        documents.update(counts.keys())
    eligible = sorted((t for t in total if documents[t] >= min_df), key=lambda t: (-total[t], t))
    return sorted(eligible[:limit])


def _vectorizer(texts: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    # the transform WordHeads.vectors reimplements: terms(), sublinear tf, smoothed idf, l2 norm
    vectorizer = TfidfVectorizer(
        analyzer=terms, vocabulary=select_vocabulary(texts), sublinear_tf=True, dtype=np.float64
    )
    return vectorizer.fit(texts)


class _Stack:
    """The per-standard heads stacked under the shared model, each fit on some passages and read on others."""

    def __init__(self, vectors: np.ndarray, texts: list[str], y: np.ndarray):
        self.vectors, self.texts, self.y = vectors, texts, y

    def fit(self, rows: np.ndarray):
        heads = [_fit(self.vectors[rows], self.y[rows, s], HEAD_C) for s in range(self.y.shape[1])]
        vectorizer = _vectorizer([self.texts[i] for i in rows])
        words = vectorizer.transform([self.texts[i] for i in rows])
        word_heads = [_fit(words, self.y[rows, s], WORDS_C) for s in range(self.y.shape[1])]
        return heads, vectorizer, word_heads

    def predict(self, fitted, rows: np.ndarray) -> dict[str, np.ndarray]:
        heads, vectorizer, word_heads = fitted
        words = vectorizer.transform([self.texts[i] for i in rows])
        return {
            "head": np.stack([h.predict_proba(self.vectors[rows])[:, 1] for h in heads], axis=1),
            "words": np.stack([h.predict_proba(words)[:, 1] for h in word_heads], axis=1),
        }

    def out_of_fold(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Head probabilities for passages the heads were not trained on, so the shared model learns how
        far to trust a head on unseen text, not on its own training data."""
        fold = np.arange(len(rows)) % FOLDS
        out = {name: np.zeros((len(rows), self.y.shape[1])) for name in ("head", "words")}
        for k in range(FOLDS):
            for name, values in self.predict(self.fit(rows[fold != k]), rows[fold == k]).items():
                out[name][fold == k] = values
        return out


def _with_columns(x: np.ndarray, columns: dict[str, np.ndarray]) -> np.ndarray:
    x = x.copy()
    for name, values in columns.items():
        x[:, :, FEATURES.index(name)] = values
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


def _linear(model) -> LinearHead:
    return LinearHead(coef=_rounded(model.coef_[0]), intercept=round(float(model.intercept_[0]), 6))


def train(settings: Settings, out: Path) -> dict:
    kb = load_knowledge(settings.knowledge_dir)[PROGRAM]
    analyzer = NarrativeAnalyzer(
        kb, get_embedder(settings.embedding_model_path, settings), settings.prompts_dir, blank_model(), evidence=False
    )
    ids = [s.id for s in kb.standards]
    passages = [p for p in load_passages() if p.split == "train"]
    views = [passage_view(analyzer, p.text) for p in passages]
    x = np.asarray([v.features for v in views])  # (passages, standards, features)
    y_dem = np.array([[p.label(sid) == "demonstrated" for sid in ids] for p in passages])
    y_pres = np.array([[p.label(sid) != "missing" for sid in ids] for p in passages])
    # the analyzer never calls a passage with too little described work demonstrated (claims are partial)
    described = (np.array([v.work_sentences for v in views]) >= MIN_CONCRETE_SENTENCES)[:, None]
    stack = _Stack(np.asarray([v.vector for v in views]), [v.text for v in views], y_dem)
    everyone = np.arange(len(passages))

    # out-of-fold probabilities pick the thresholds (folds by passage, deterministic); the heads are
    # refitted inside each fold so that no passage's own label reaches its prediction
    fold = everyone % FOLDS
    oof = {name: (np.zeros(y_dem.shape), np.zeros(y_dem.shape)) for name in ("learned", "agnostic")}
    agnostic = [FEATURES.index(f) for f in AGNOSTIC]
    for k in range(FOLDS):
        tr, te = everyone[fold != k], everyone[fold == k]
        x_tr = _with_columns(x[tr], stack.out_of_fold(tr))
        x_te = _with_columns(x[te], stack.predict(stack.fit(tr), te))
        for name, cols in (("learned", slice(None)), ("agnostic", agnostic)):
            fitted = _fit_shared(x_tr[:, :, cols], y_dem[tr], y_pres[tr])
            oof[name][0][te], oof[name][1][te] = _predict_shared(fitted, x_te[:, :, cols])

    stacked = stack.out_of_fold(everyone)
    x_all = _with_columns(x, stacked)
    mean, scale, dem_model, pres_model = _fit_shared(x_all, y_dem, y_pres)
    _, _, dem_agnostic, pres_agnostic = _fit_shared(x_all[:, :, agnostic], y_dem, y_pres)
    heads, vectorizer, word_heads = stack.fit(everyone)
    positives = np.asarray([v.best_similarity for v in views])[y_dem]

    # what each threshold is chosen on: the labels and the out-of-fold probabilities
    choice = {}
    for name, (oof_dem, oof_pres) in oof.items():
        choice[f"{name}.demonstrated"] = (y_dem.reshape(-1), (oof_dem * described).reshape(-1))
        choice[f"{name}.present"] = (y_pres.reshape(-1), np.maximum(oof_pres, oof_dem).reshape(-1))

    def shared(columns: list[str], dem, pres, name: str) -> SharedHeads:
        return SharedHeads(
            columns=columns,
            demonstrated=Head(
                coef=_rounded(dem.coef_[0]),
                intercept=round(float(dem.intercept_[0]), 6),
                threshold=_best_threshold(*choice[f"{name}.demonstrated"]),
            ),
            present=Head(
                coef=_rounded(pres.coef_[0]),
                intercept=round(float(pres.intercept_[0]), 6),
                threshold=_best_threshold(*choice[f"{name}.present"]),
            ),
        )

    model = MappingModel(
        features=FEATURES,
        mean=_rounded(mean),
        scale=_rounded(scale),
        learned=shared(FEATURES, dem_model, pres_model, "learned"),
        agnostic=shared(AGNOSTIC, dem_agnostic, pres_agnostic, "agnostic"),
        heads={PROGRAM: {sid: _linear(h) for sid, h in zip(ids, heads, strict=True)}},
        head_neutral=round(float(stacked["head"].mean()), 6),
        word_heads={
            PROGRAM: WordHeads(
                vocabulary=list(vectorizer.get_feature_names_out()),
                idf=_rounded(vectorizer.idf_),
                heads={sid: _linear(h) for sid, h in zip(ids, word_heads, strict=True)},
            )
        },
        words_neutral=round(float(stacked["words"].mean()), 6),
        # a quote must be about as close to the standard as the weakest 10% of real evidence
        evidence_similarity=round(float(np.quantile(positives, 0.10)), 3),
        # a criterion is met when a concrete sentence is as close to it as the best-matching criterion is
        # for three quarters of the passages that really demonstrate the standard
        criterion_similarity=round(float(np.quantile(np.asarray([v.best_criterion for v in views])[y_dem], 0.25)), 3),
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
            "words_C": WORDS_C,
        },
    )
    # the analyzer recomputes the word weights without scikit-learn: they must be the ones the heads learned on
    texts = [v.text for v in views]
    mine = model.word_heads[PROGRAM].vectors(texts)
    if not np.allclose(mine, vectorizer.transform(texts).toarray(), atol=1e-5):
        raise RuntimeError("WordHeads.vectors no longer matches TfidfVectorizer: the word heads would misread text")
    # out-of-fold macro-F1 on the training split: the number to watch while developing (never the test split)
    for name, heads_used in (("learned", model.learned), ("agnostic", model.agnostic)):
        pred = (oof[name][0] >= heads_used.demonstrated.threshold) & described
        per_standard = []
        for s in range(len(ids)):
            denominator = pred[:, s].sum() + y_dem[:, s].sum()
            per_standard.append(2 * float((pred[:, s] & y_dem[:, s]).sum()) / denominator if denominator else 1.0)
        key = "cv_macro_f1" if name == "learned" else "cv_macro_f1_agnostic"
        model.trained_on[key] = round(float(np.mean(per_standard)), 4)
    out.write_text(_dump(model.model_dump()))
    return model.trained_on | {
        "thresholds": {
            "demonstrated": model.learned.demonstrated.threshold,
            "present": model.learned.present.threshold,
        },
        "threshold_f1_lead": {key: _threshold_lead(*args) for key, args in choice.items()},
        "evidence_similarity": model.evidence_similarity,
        "criterion_similarity": model.criterion_similarity,
    }
