"""The shipped CPT sentence model is several members averaged: its thresholds must be the ones the committed
out-of-fold probabilities give, and each member must be a file the config vouches for."""

from __future__ import annotations

import json

import numpy as np

from app.config import get_settings
from app.knowledge.loader import load_knowledge
from app.mapping.evidence import EVIDENCE_DIR, EvidenceConfig, weights_digest
from evaluation import train_evidence as te


def test_the_shipped_thresholds_are_the_ones_the_averaged_out_of_fold_probabilities_choose():
    config = EvidenceConfig.model_validate(json.loads((EVIDENCE_DIR / "cpt.json").read_text()))
    oof = json.loads(te.oof_path("cpt").read_text())
    assert [te.Recipe(**m) for m in oof["members"]] == list(te.MEMBERS["cpt"])
    assert len(config.members) + 1 == len(oof["member_probabilities"]) == 3
    for path, digest in config.member_files(EVIDENCE_DIR / "cpt.npz"):
        assert weights_digest(path) == digest
    # the average is the members' mean, text by text
    some = sorted(oof["probabilities"])[:5]
    for text_id in some:
        mean = np.mean([np.array(m[text_id]) for m in oof["member_probabilities"]], axis=0)
        assert np.allclose(mean, oof["probabilities"][text_id], atol=2e-3)
    assert len(oof["probabilities"]) == 551
    kb = load_knowledge(get_settings().knowledge_dir)["cpt"]
    scored = [t for t in te.training_texts("cpt") if t.id in oof["probabilities"]]
    chosen = te.oof_thresholds(kb, scored, oof["probabilities"])
    assert (chosen["demonstrated"], chosen["partial"]) == (config.demonstrated, config.partial)
    assert chosen["cv_macro_f1_demonstrated"] == config.trained_on["cv_macro_f1_demonstrated"]
    # one member alone is given its own thresholds by the same choice, and scores lower in CV
    alone = te.member_thresholds("cpt", 0)
    assert alone["cv_macro_f1_demonstrated"] < chosen["cv_macro_f1_demonstrated"]
