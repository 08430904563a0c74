"""The small trained model that turns features into probabilities, stored as plain JSON.

Two logistic regressions share the features: one for "demonstrated", one for "present at all"
(demonstrated or only mentioned). One of those features comes from per-standard logistic regressions
on a unit's sentence embedding ("heads"), stacked under the shared model. Weights, scaling and
decision thresholds come from ``evaluation/train_mapping.py`` run on the training split; nothing here
is hand-set.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from app.mapping.features import FEATURES

MODEL_PATH = Path(__file__).with_name("model.json")


class Head(BaseModel):
    coef: list[float]
    intercept: float
    threshold: float = Field(ge=0, le=1)

    def prob(self, x: np.ndarray) -> np.ndarray:
        z = x @ np.asarray(self.coef) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


class EmbeddingHead(BaseModel):
    """One standard's classifier on a unit's (normalised mean) sentence embedding."""

    coef: list[float]
    intercept: float


class MappingModel(BaseModel):
    features: list[str]
    mean: list[float]
    scale: list[float]
    demonstrated: Head
    present: Head
    evidence_similarity: float = Field(description="Sentence-standard similarity for a quote to count.")
    criterion_similarity: float = Field(description="Evidence-criterion similarity for a criterion to be met.")
    min_evidence_concreteness: float = Field(description="A sentence this concrete describes work.")
    min_concrete_sentences: int = Field(
        default=2, ge=1, description="Demonstrated needs at least this many work sentences in the unit."
    )
    heads: dict[str, dict[str, EmbeddingHead]] = Field(
        default_factory=dict, description="program id -> standard id -> embedding head"
    )
    head_neutral: float = Field(
        default=0.0, description="The head feature for a standard without a head: its training mean."
    )
    trained_on: dict = Field(default_factory=dict)

    def head_probabilities(self, program: str, standard_ids: list[str], vectors: np.ndarray) -> np.ndarray:
        """(n_vectors, n_standards); standards without a trained head get ``head_neutral``."""
        out = np.full((len(vectors), len(standard_ids)), self.head_neutral)
        heads = self.heads.get(program, {})
        for s, sid in enumerate(standard_ids):
            head = heads.get(sid)
            if head is not None and len(vectors) and len(head.coef) == vectors.shape[1]:
                z = vectors @ np.asarray(head.coef) + head.intercept
                out[:, s] = 1.0 / (1.0 + np.exp(-z))
        return out

    def scaled(self, x: np.ndarray) -> np.ndarray:
        return (x - np.asarray(self.mean)) / np.asarray(self.scale)

    def probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs = self.scaled(x)
        p_dem = self.demonstrated.prob(xs)
        p_pres = np.maximum(self.present.prob(xs), p_dem)
        return p_dem, p_pres


class ModelMissingError(RuntimeError):
    pass


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> MappingModel:
    if not path.exists():
        raise ModelMissingError(f"the mapping model {path} is missing: run `certprep train mapping`")
    model = MappingModel.model_validate(json.loads(path.read_text()))
    if model.features != FEATURES:
        raise ModelMissingError(f"the mapping model {path} was trained on other features: run `certprep train mapping`")
    return model
