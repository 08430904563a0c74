"""Issue 19's data round, the pilot that decided it: does the sentence model gain from more writers?

Before the spent test sets ``B-*`` to ``E-*`` were retired into development data, one member (seed 0, no
rewrites) was fine-tuned twice with the same recipe: on the development data of the time (551 texts) and on
that plus ``B-*``, ``C-*`` and ``D-*`` (926). Both scored ``E-*``, which neither had read, with the plain
decision rule of leave-one-style-out (the best own, done sentence against a threshold). The decision rule was
fixed in advance: retire the sets if the larger training set scores higher overall and in its worst style at
the shipped threshold (0.80). Run: ``python -m evaluation.data_pilot`` (about 15 minutes on 2 cores); the
figures of the run that decided it are in ``results/data_pilot.json``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from evaluation import write_result

RESULTS = Path(__file__).parent / "results" / "data_pilot.json"
THRESHOLDS = (0.7, 0.75, 0.8, 0.85)
ADDED, TARGET = ("B", "C", "D"), "E"


def pilot_sets() -> tuple[list, list, list]:
    """The development texts of the time (no retired set), the sets added, and the target set."""
    from evaluation.independent_data import RETIRED, load_test_set
    from evaluation.train_evidence import _independent, training_texts

    before = [t for t in training_texts() if t.group.split("-")[0] not in RETIRED]
    return before, _independent([x for n in ADDED for x in load_test_set(n)]), _independent(load_test_set(TARGET))


def run(log=print) -> dict:
    from app.config import get_settings
    from app.embeddings import get_embedder
    from app.knowledge.loader import load_knowledge
    from evaluation.generalization import macro
    from evaluation.train_evidence import fit, predict

    settings = get_settings()
    base = get_embedder(settings.embedding_model_path, settings).model_path
    ids = [s.id for s in load_knowledge(settings.knowledge_dir)["cpt"].standards]
    before, added, target = pilot_sets()
    gold = np.array([[t.label(s) == "demonstrated" for s in ids] for t in target])
    out: dict = {"what": __doc__.split("\n\n")[0], "target": f"{TARGET}-*", "texts": len(target)}
    for name, train in (("development_then", before), ("plus_" + "_".join(ADDED), before + added)):
        started = time.time()
        network, tokenizer = fit(train, ids, base, log)
        row: dict = {"train_texts": len(train), "fit_seconds": round(time.time() - started)}
        best = np.array([_best_own(predict(network, tokenizer, t.sentences), t.sentences) for t in target])
        for threshold in THRESHOLDS:
            pred = best >= threshold
            by_style = {}
            for style in sorted({t.style for t in target}):
                rows = [i for i, t in enumerate(target) if t.style == style]
                by_style[style] = macro(pred[rows], gold[rows], ids)["macro_f1"]
            row[str(threshold)] = {"all": macro(pred, gold, ids)["macro_f1"]} | by_style
        out[name] = row
        log(f"{name}: {row}")
    return out


def _best_own(probabilities: np.ndarray, sentences: list[str]) -> np.ndarray:
    from app.mapping.signals import own_work
    from evaluation.train_evidence import decide_scores

    return decide_scores(probabilities, np.array(own_work(sentences), dtype=bool))[0]


if __name__ == "__main__":
    write_result(run(), Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS)
