"""The small trained model that turns features into probabilities, stored as plain JSON.

Two logistic regressions share the features: one for "demonstrated", one for "present at all"
(demonstrated or only mentioned). Two of those features come from per-standard logistic regressions
stacked under the shared model: one on a unit's sentence embedding (meaning), one on its TF-IDF word and
word-pair weights (the vocabulary of described work). Weights, scaling, vocabulary and decision
thresholds come from ``evaluation/train_mapping.py`` run on the training split; nothing here is hand-set.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from app.mapping.features import FEATURES
from app.tokens import tokenize

MODEL_PATH = Path(__file__).with_name("model.json")


class Head(BaseModel):
    coef: list[float]
    intercept: float
    threshold: float = Field(ge=0, le=1)

    def prob(self, x: np.ndarray) -> np.ndarray:
        z = x @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


class LinearHead(BaseModel):
    """One standard's logistic regression on some vector representation of a unit."""

    coef: list[float]
    intercept: float

    def prob(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x @ np.asarray(self.coef) + self.intercept)))


def terms(text: str) -> list[str]:
    """Words and adjacent word pairs, as the word heads were trained on them."""
    words = tokenize(text)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class WordHeads(BaseModel):
    """Per-standard classifiers on TF-IDF weights of :func:`terms` (sublinear tf, smoothed idf, l2
    norm: scikit-learn's ``TfidfVectorizer`` transform, reimplemented so nothing but numbers is stored)."""

    vocabulary: list[str]
    idf: list[float]
    heads: dict[str, LinearHead]

    def vectors(self, texts: list[str]) -> np.ndarray:
        index = {term: j for j, term in enumerate(self.vocabulary)}
        idf = np.asarray(self.idf)
        out = np.zeros((len(texts), len(self.vocabulary)))
        for i, text in enumerate(texts):
            counts = Counter(j for j in map(index.get, terms(text)) if j is not None)
            for j, count in counts.items():
                out[i, j] = (1.0 + np.log(count)) * idf[j]
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


class SharedHeads(BaseModel):
    """The two shared heads over some of the features: all of them for a program with learned heads,
    only the standard-agnostic ones for a program without (which then is not judged on a neutral guess)."""

    columns: list[str]
    demonstrated: Head
    present: Head


class MappingModel(BaseModel):
    features: list[str]
    mean: list[float]
    scale: list[float]
    learned: SharedHeads
    agnostic: SharedHeads
    evidence_similarity: float = Field(description="Sentence-standard similarity for a quote to count.")
    criterion_similarity: float = Field(description="Evidence-criterion similarity for a criterion to be met.")
    min_evidence_concreteness: float = Field(description="A sentence this concrete describes work.")
    min_concrete_sentences: int = Field(
        default=2, ge=1, description="Demonstrated needs at least this many work sentences in the unit."
    )
    evidence_margin: float = Field(
        default=0.05,
        ge=0,
        description="A quote for a standard may be at most this much less similar to it than to the closest "
        "other standard: a sentence plainly about another standard is not quoted as this one's evidence.",
    )
    evidence_strength_scale: float = Field(
        default=0.6,
        gt=0,
        description="The similarity x concreteness at which a quote's strength reads 1.0: the strongest "
        "quotes in the labelled passages score about this, so strengths spread over 0..1.",
    )
    heads: dict[str, dict[str, LinearHead]] = Field(
        default_factory=dict, description="program id -> standard id -> embedding head"
    )
    head_neutral: float = Field(
        default=0.0, description="The head feature for a standard without a head: its training mean."
    )
    word_heads: dict[str, WordHeads] = Field(default_factory=dict, description="program id -> word heads")
    words_neutral: float = Field(
        default=0.0, description="The words feature for a standard without a word head: its training mean."
    )
    trained_on: dict = Field(default_factory=dict)

    def head_probabilities(self, program: str, standard_ids: list[str], vectors: np.ndarray) -> np.ndarray:
        """(n_vectors, n_standards); standards without a trained head get ``head_neutral``."""
        out = np.full((len(vectors), len(standard_ids)), self.head_neutral)
        heads = self.heads.get(program, {})
        for s, sid in enumerate(standard_ids):
            head = heads.get(sid)
            if head is not None and len(vectors) and len(head.coef) == vectors.shape[1]:
                out[:, s] = head.prob(vectors)
        return out

    def word_probabilities(self, program: str, standard_ids: list[str], texts: list[str]) -> np.ndarray:
        """(n_texts, n_standards); standards without a trained word head get ``words_neutral``."""
        out = np.full((len(texts), len(standard_ids)), self.words_neutral)
        words = self.word_heads.get(program)
        if words is None or not texts:
            return out
        vectors = words.vectors(texts)
        for s, sid in enumerate(standard_ids):
            head = words.heads.get(sid)
            if head is not None:
                out[:, s] = head.prob(vectors)
        return out

    def scaled(self, x: np.ndarray) -> np.ndarray:
        return (x - np.asarray(self.mean)) / np.asarray(self.scale)

    def shared_for(self, program: str) -> SharedHeads:
        return self.learned if program in self.heads and program in self.word_heads else self.agnostic

    def probabilities(self, x: np.ndarray, shared: SharedHeads) -> tuple[np.ndarray, np.ndarray]:
        xs = self.scaled(x)[:, [self.features.index(c) for c in shared.columns]]
        p_dem = shared.demonstrated.prob(xs)
        p_pres = np.maximum(shared.present.prob(xs), p_dem)
        return p_dem, p_pres


class ModelMissingError(RuntimeError):
    pass


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> MappingModel:
    if not path.exists():
        raise ModelMissingError(f"the mapping model {path} is missing: run `certprep-eval train`")
    model = MappingModel.model_validate(json.loads(path.read_text()))
    if model.features != FEATURES:
        raise ModelMissingError(f"the mapping model {path} was trained on other features: run `certprep-eval train`")
    return model
