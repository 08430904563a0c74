"""Reviewer verdicts end to end (issue 24), measured: does learning from them change the held-out figures?

The verdicts are real in every respect but one: the drafts were written by independent writers (helper
sessions that saw only the standards and a style brief, authors ``R1`` and ``R2``, style ``drafts``), and the
"mentor" is a blind labeller (a second helper that saw only the standards, the labelling rules and the
numbered sentences). Nothing else in the method, data or model was shown to either. The data is in
``evaluation/data/reviews/``, outside the independent folder: no other evaluation or training reads it.

The run goes through the product, not around it:
1. each writer is a candidate with a workspace; every draft is checked by the shipped engine and saved;
2. an assigned mentor gives a verdict on every standard of every draft through the store's rules (the
   labeller's status; the sentences they labelled as the evidence relied on; a reason where it overrides);
3. the candidates allow training; staff read the agreement figures and run ``export_reviews``;
4. the sentence model is re-trained on the development data plus that export (``train_evidence``);
5. the shipped model and the re-trained one are scored on the newest open test set (``F-*`` now; nothing
   tuned on it) and on the original test split. Nothing is tuned on any of it: one run, one look.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from app.config import AccessMode, Settings
from evaluation import write_result
from evaluation.independent_data import IndependentItem, load_test_set, open_test_sets
from evaluation.mapping_data import DATA_DIR

REVIEWED = DATA_DIR / "reviews"
RESULTS = Path(__file__).parent / "results" / "reviews.json"
EXPORT = Path(__file__).parent / "results" / "reviews_export_cpt.yaml"
PROGRAM = "cpt"
PASSWORD = "a-long-evaluation-password-1"


def load_reviewed(path: Path = REVIEWED) -> list[IndependentItem]:
    items = []
    for file in sorted(path.glob("*.yaml")):
        items.extend(IndependentItem.model_validate(x) for x in yaml.safe_load(file.read_text(encoding="utf-8")))
    return items


def simulate(settings: Settings, items: list[IndependentItem], log=print) -> dict:
    """Steps 1-3 in a throw-away organization database; returns the export and the agreement report."""
    from app.accounts import Accounts, Principal
    from app.documents import Document, segment
    from app.knowledge.loader import load_knowledge
    from app.mapping.service import get_analyzer
    from app.reviews import agreement
    from app.reviews.export import export_reviews
    from app.storage import Storage
    from app.storage.access import WorkspaceStore

    kb = load_knowledge(settings.knowledge_dir)[PROGRAM]
    ids = [s.id for s in kb.standards]
    analyzer = get_analyzer(settings, PROGRAM)
    storage = Storage(settings.database)
    accounts = Accounts(storage, settings)
    operator = Principal.operator()

    def store(name: str, role: str) -> WorkspaceStore:
        accounts.add(operator, name, role, PASSWORD, name.title())
        return WorkspaceStore(storage, accounts.principal(accounts.sign_in(name, PASSWORD)))

    mentor, staff = store("mentor", "mentor"), store("staff", "staff")
    engine: dict[str, dict[str, str]] = {}
    overrides = 0
    for author in sorted({x.author for x in items}):
        candidate = store(f"candidate-{author.lower()}", "candidate")
        accounts.assign(operator, "mentor", candidate.principal.username)
        workspace = candidate.create_workspace(f"{author} drafts", PROGRAM)
        for item in (x for x in items if x.author == author):
            draft = candidate.create_draft(workspace.id, item.id, item.text)
            result = analyzer.analyze(Document(source=item.id, text=item.text))
            candidate.save_version(draft.id, item.text, result.model_dump(mode="json"))
            engine[item.id] = {s.id: s.status.value for s in result.standards}
            sentences = [s.text for s in segment(item.text).sentences]
            for sid in ids:
                status = item.label(sid)
                relied = [t for t, labels in zip(sentences, item.sentences, strict=True) if sid in labels]
                evidence = "\n".join(relied) if status != "missing" else None
                reason = "" if status == engine[item.id][sid] else "the reviewer's reading of the draft"
                overrides += bool(reason)
                mentor.set_verdict(draft.id, 1, sid, status, reason, evidence)
        candidate.allow_training(workspace.id, True)
    report = agreement(staff, PROGRAM, ids)
    exported = export_reviews(staff, kb)
    log(f"{len(items)} drafts reviewed, {overrides} overrides; exported {len(exported.items)} drafts")
    return {"export": exported, "agreement": report, "engine": engine}


def _predict(analyzer, texts: list[str], ids: list[str]) -> np.ndarray:
    from evaluation.generalization import _predict as predict

    return predict(analyzer, texts, ids)


def run(settings: Settings, work: Path | None = None, log=print) -> dict:
    from app.mapping.evidence import forget_loaded
    from app.mapping.service import get_analyzer
    from evaluation.generalization import _existing, macro, report
    from evaluation.mapping_data import load_passages
    from evaluation.train_evidence import train_evidence

    items = load_reviewed()
    if not items:
        raise RuntimeError(f"no reviewed drafts in {REVIEWED}")
    work = Path(work or tempfile.mkdtemp(prefix="certprep-reviews-"))
    db_settings = settings.model_copy(update={"data_dir": work / "data", "mode": AccessMode.organization})
    simulated = simulate(db_settings, items, log)
    exported = simulated["export"]
    EXPORT.write_text(yaml.safe_dump(exported.items, sort_keys=False, allow_unicode=True), encoding="utf-8")

    shipped = get_analyzer(settings, PROGRAM)
    ids = [s.id for s in shipped.kb.standards]
    gold = np.array([[x.label(s) == "demonstrated" for s in ids] for x in items])
    engine = np.array([[simulated["engine"][x.id][s] == "demonstrated" for s in ids] for x in items])

    started = time.perf_counter()
    trained_dir = work / "models"
    config = train_evidence(settings, trained_dir / "evidence", log=log, reviews=EXPORT)
    train_s = time.perf_counter() - started
    forget_loaded()
    retrained = get_analyzer(settings.model_copy(update={"models_dir": trained_dir}), PROGRAM)

    test_set = max(open_test_sets())
    test = load_test_set(test_set)
    texts = [x.text for x in test]
    predictions = {"shipped": _predict(shipped, texts, ids), "with_reviews": _predict(retrained, texts, ids)}
    held_out = report(test, predictions, ids)
    existing_test = [p for p in load_passages() if p.split == "test"]
    existing = _existing(existing_test, {"shipped": shipped, "with_reviews": retrained}, ids)
    return {
        "what": __doc__.split("\n\n")[0],
        "reviewed_drafts": {
            "drafts": len(items),
            "authors": sorted({x.author for x in items}),
            "verdicts": len(items) * len(ids),
            "exported_drafts": len(exported.items),
            "left_out": exported.left_out,
            "engine_vs_reviewer_demonstrated": macro(engine, gold, ids),
            "agreement": json.loads(simulated["agreement"].model_dump_json()),
        },
        "training": {
            "seconds": round(train_s, 1),
            "thresholds": {k: config[k] for k in ("demonstrated", "partial")},
            "cv_macro_f1_demonstrated": config["trained_on"]["cv_macro_f1_demonstrated"],
            "reviews": config["trained_on"]["reviews"],
        },
        "held_out_test": {
            "test_set": test_set,
            "texts": len(test),
            "shipped": _brief(held_out["shipped"]),
            "with_reviews": _brief(held_out["with_reviews"]),
        },
        "existing_test_split": existing,
        "note": "One run, one look at the newest open test set for this question; nothing was tuned on it.",
    }


def _brief(method: dict) -> dict:
    return {
        "macro_f1": method["overall"]["macro_f1"],
        "precision": method["overall"].get("precision"),
        "recall": method["overall"].get("recall"),
        "worst_style": method["worst_style"],
        "worst_style_macro_f1": method["worst_style_macro_f1"],
        "by_style": {k: v["macro_f1"] for k, v in method["by_style"].items()},
        "hard_negatives_marked_demonstrated": method["hard_negatives"]["marked_demonstrated"],
        "dense_recall": method["dense_texts"]["recall"],
    }


def write(result: dict, out: Path = RESULTS) -> Path:
    return write_result(result, out)
