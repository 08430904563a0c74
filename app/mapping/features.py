"""Features of one stretch of narrative against every standard of a program.

Each (unit, standard) pair becomes a short vector the classifier reads. All but the last two are
standard-agnostic (similarities, margins, concreteness, keyword use), so a new program's standards can
be analysed with the same trained model; ``head`` and ``words`` are what small per-standard classifiers
on the unit's embedding and on its words say, learned from labelled passages. A program without such
passages gets the training mean there, which the shared model reads as "no opinion".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = [
    "top1",
    "top2",
    "margin",
    "zscore",
    "conc_weighted",
    "conc_best",
    "assigned_conc",
    "assigned_count",
    "kw_any",
    "kw_claim",
    "kw_concrete",
    "unit_sim",
    "unit_z",
    "mean_conc",
    "generic_share",
    "head",
    "words",
]
LEARNED = ["head", "words"]  # features that exist only for a program with labelled passages
AGNOSTIC = [f for f in FEATURES if f not in LEARNED]


@dataclass
class UnitView:
    """The numbers one unit (a paragraph or a few) contributes, already computed for the whole text."""

    sim: np.ndarray  # (n_sentences, n_standards): best prototype similarity per sentence and standard
    conc: np.ndarray  # (n_sentences,) concreteness in [0, 1]
    generic: np.ndarray  # (n_sentences,) bool
    keyword: np.ndarray  # (n_sentences, n_standards) bool
    unit_sim: np.ndarray  # (n_standards,) similarity of the whole unit to each standard
    head: np.ndarray  # (n_standards,) per-standard embedding classifier's probability for the unit
    words: np.ndarray  # (n_standards,) per-standard word classifier's probability for the unit


def _z(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


def unit_features(view: UnitView) -> np.ndarray:
    """(n_standards, len(FEATURES)) for one unit. A unit with no usable sentence scores zero everywhere."""
    n_sent, n_std = view.sim.shape
    out = np.zeros((n_std, len(FEATURES)), dtype=np.float64)
    if n_sent == 0 or n_std == 0:
        return out
    sim, conc = view.sim, view.conc
    ordered = np.sort(sim, axis=0)[::-1]
    top1 = ordered[0]
    top2 = ordered[: min(2, n_sent)].mean(axis=0)
    if n_std > 1:
        best_other = np.empty_like(sim)
        for s in range(n_std):
            best_other[:, s] = np.delete(sim, s, axis=1).max(axis=1)
        margin = (sim - best_other).max(axis=0)
    else:
        margin = np.zeros(n_std)
    best_row = sim.argmax(axis=0)
    assigned = sim.argmax(axis=1)
    claim = conc < 0.3
    out[:, 0] = top1
    out[:, 1] = top2
    out[:, 2] = margin
    out[:, 3] = _z(top1) if n_std > 1 else 0.0
    out[:, 4] = (sim * conc[:, None]).max(axis=0)
    out[:, 5] = conc[best_row]
    for s in range(n_std):
        mine = assigned == s
        out[s, 6] = min(1.0, float(conc[mine].sum()) / 2.0)
        out[s, 7] = min(3, int(mine.sum())) / 3.0
    out[:, 8] = view.keyword.any(axis=0)
    out[:, 9] = (view.keyword & claim[:, None]).any(axis=0)
    out[:, 10] = (view.keyword & (conc >= 0.5)[:, None]).any(axis=0)
    out[:, 11] = view.unit_sim
    out[:, 12] = _z(view.unit_sim) if n_std > 1 else 0.0
    out[:, 13] = conc.mean()
    out[:, 14] = view.generic.mean()
    out[:, 15] = view.head
    out[:, 16] = view.words
    return out
