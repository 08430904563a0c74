"""Fine-tune the sentence evidence model (``app/mapping/evidence.py``) on labelled sentences.

Data: the train split of ``mapping_passages.yaml`` with its blind sentence labels
(``mapping_sentences.yaml``) and the development batches of the independent data (authors ``A*-*``, and
the retired test sets ``B-*`` to ``E-*``: `independent_data.RETIRED`). The open test sets (``F-*``) and the
test split are never read here.

Decision thresholds are chosen on out-of-fold probabilities from folds that hold out whole authors (each
development author's batch in one fold, the existing passages spread over all), so they are set for
writers the model has not read, which is what a candidate is.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from app.documents import segment
from app.mapping.evidence import EvidenceConfig, Member, build_network, position_features, weights_digest
from app.mapping.signals import keyword_pattern, own_work
from evaluation import write_result
from evaluation.augment import load_rewrites
from evaluation.independent_data import INDEPENDENT, load_independent, load_reviews
from evaluation.mapping_data import DATA_DIR, load_passages

PROGRAM = "cpt"
SENTENCES = DATA_DIR / "mapping_sentences.yaml"
OOF_RESULTS = Path(__file__).parent / "results" / "evidence_oof.json"
TUNED_LAYERS = 2  # top-2 of 6 tuned: cross-validated AUC as high as tuning all six, at a third of the cost
MAX_TOKENS = 96
SCALE = 10.0
EPOCHS = 3
BATCH = 16
ENCODER_LR = 1e-4
HEAD_LR = 2e-3
SEED = 0
FOLDS = 4
GRID = [t / 100 for t in range(20, 96, 5)]


@dataclass
class Text:
    """One labelled text: its sentences, their labels and the text's labels per standard."""

    id: str
    group: str  # the author: folds never split one
    style: str
    sentences: list[str]
    sentence_labels: list[set[str]]
    labels: dict[str, str]
    judged: list[str] | None = None  # reviewer verdicts: only these standards are labelled
    rewrite: bool = False  # a helper's rewrite of a development text: trains with its source, never scored

    def label(self, standard: str) -> str:
        return self.labels.get(standard, "missing")

    def known(self, standards: list[str]) -> np.ndarray:
        """(sentences, standards): which sentence labels the text really gives. All of them for the labelled
        sets; for a reviewer's verdicts, every sentence of a standard judged missing, and only the sentences
        the reviewer relied on for one judged present (the rest were not looked at as evidence)."""
        mask = np.ones((len(self.sentences), len(standards)), dtype=np.float32)
        if self.judged is None:
            return mask
        for j, sid in enumerate(standards):
            if sid not in self.judged:
                mask[:, j] = 0
            elif self.label(sid) != "missing":
                mask[:, j] = [sid in labels for labels in self.sentence_labels]
        return mask


def training_texts(program: str = PROGRAM, reviews: Path | None = None, rewrites: bool = False) -> list[Text]:
    """The program's development texts: for the CPT also the original passages' train split and, with
    ``rewrites``, the helpers' sentence-aligned rewrites of them (``evaluation/augment.py``); with
    ``reviews`` (a ``certprep reviews export`` file) also reviewers' verdicts on that program's drafts."""
    out = _reviews(reviews, program) if reviews else []
    if program != PROGRAM:
        return out + _independent(load_independent("dev", path=INDEPENDENT / program))
    originals = _cpt_development()
    if rewrites:  # first, as they were when the shipped model was trained (the order seeds the batches)
        style = {t.id: t.style for t in originals}
        out += [
            Text(r.id, r.author, style[r.source], r.sentences, [set(x) for x in r.sentence_labels], {}, rewrite=True)
            for r in load_rewrites()
        ]
    return out + originals


def _cpt_development() -> list[Text]:
    out = []
    sentence_labels = yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))
    for p in load_passages():
        if p.split != "train":
            continue
        sentences = [s.text for s in segment(p.text).sentences]
        labels = sentence_labels[p.id]
        if len(labels) != len(sentences):
            raise ValueError(f"{p.id}: {len(labels)} sentence labels for {len(sentences)} sentences")
        out.append(
            Text(
                p.id,
                "existing",
                "existing",
                sentences,
                [set(x) for x in labels],
                {s: "demonstrated" for s in p.demonstrated} | {s: "partial" for s in p.mentioned},
            )
        )
    return out + _independent(load_independent("dev"))


def _reviews(path: Path, program: str) -> list[Text]:
    items = [x for x in load_reviews(path) if x.program == program]
    if not items:
        raise ValueError(f"{path} holds no reviewer verdicts for {program!r}")
    return _independent(items)


def _independent(items) -> list[Text]:
    out = []
    for item in items:
        sentences = [s.text for s in segment(item.text).sentences]
        if len(item.sentences) != len(sentences):
            raise ValueError(f"{item.id}: {len(item.sentences)} sentence labels for {len(sentences)} sentences")
        labels = [set(x) for x in item.sentences]
        out.append(Text(item.id, item.author, item.style, sentences, labels, item.labels, item.judged))
    return out


def fold_of(text: Text, authors: list[str]) -> int:
    """-1: in every fold's training data and never scored (reviewers' verdicts label only some standards, so
    they cannot choose thresholds). A rewrite takes its source's fold, so no fold trains on a rewrite of a
    text it scores."""
    if text.judged is not None:
        return -1
    if text.group == "existing":
        source = text.id.split("~")[0]
        return int(hashlib.sha256(source.encode()).hexdigest()[:8], 16) % FOLDS
    return authors.index(text.group) % FOLDS


def fit(texts: list[Text], standards: list[str], base_path: Path, log=print, seed: int = SEED):
    """A fine-tuned network on the texts' sentences. Seeded: the same data gives the same model here."""
    import torch

    torch.manual_seed(seed)
    network = build_network(base_path, len(standards), TUNED_LAYERS)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base_path), local_files_only=True)
    sentences = [s for t in texts for s in t.sentences]
    positions = torch.from_numpy(np.vstack([position_features(len(t.sentences)) for t in texts]))
    labels = [[sid in lab for sid in standards] for t in texts for lab in t.sentence_labels]
    y = torch.tensor(labels, dtype=torch.float32)
    partial = any(t.judged is not None for t in texts)
    known = torch.from_numpy(np.vstack([t.known(standards) for t in texts])) if partial else None
    positives = y.sum(0)
    # rarer standards weigh more, by the square root of their imbalance (full weighting overshot in CV)
    pos_weight = ((len(y) - positives) / positives.clamp(min=1)).sqrt()
    if known is not None:  # counted over the labels the texts give
        positives = (y * known).sum(0)
        pos_weight = ((known.sum(0) - positives) / positives.clamp(min=1)).sqrt()
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="mean" if known is None else "none")
    tuned = [p for p in network.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": tuned, "lr": ENCODER_LR}, {"params": network.head.parameters(), "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    generator = torch.Generator().manual_seed(seed)
    network.train()
    for epoch in range(EPOCHS):
        started, total = time.time(), 0.0
        order = torch.randperm(len(sentences), generator=generator)
        for k in range(0, len(sentences), BATCH):
            rows = order[k : k + BATCH]
            batch = tokenizer(
                [sentences[i] for i in rows], padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            loss = loss_fn(network(batch, positions[rows], SCALE), y[rows])
            if known is not None:  # only the labels the texts give
                loss = (loss * known[rows]).sum() / known[rows].sum().clamp(min=1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        log(f"  epoch {epoch + 1}/{EPOCHS}: loss {total:.1f} ({time.time() - started:.0f} s)")
    network.eval()
    return network, tokenizer


def predict(network, tokenizer, sentences: list[str]) -> np.ndarray:
    import torch

    if not sentences:
        return np.zeros((0, network.head.out_features))
    with torch.inference_mode():
        batch = tokenizer(sentences, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        return torch.sigmoid(network(batch, torch.from_numpy(position_features(len(sentences))), SCALE)).numpy()


def decide_scores(probabilities: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per standard: the strongest sentence that reports the author's own, done work; the strongest of any."""
    if not len(probabilities):
        zeros = np.zeros(probabilities.shape[1])
        return zeros, zeros
    return np.where(own[:, None], probabilities, 0).max(axis=0), probabilities.max(axis=0)


def _macro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    scores = []
    for s in range(gold.shape[1]):
        denominator = pred[:, s].sum() + gold[:, s].sum()
        scores.append(2 * float((pred[:, s] & gold[:, s]).sum()) / denominator if denominator else 1.0)
    return float(np.mean(scores))


def choose_thresholds(texts: list[Text], standards: list[str], scores: list[tuple], named: np.ndarray) -> dict:
    """Demonstrated: best out-of-fold macro-F1; partial: best F1 for "named or evidenced at all"."""
    gold_dem = np.array([[t.label(s) == "demonstrated" for s in standards] for t in texts])
    gold_any = np.array([[t.label(s) != "missing" for s in standards] for t in texts])
    own = np.array([x[0] for x in scores])
    anyone = np.array([x[1] for x in scores])
    f1_dem = {t: _macro_f1(own >= t, gold_dem) for t in GRID}
    demonstrated = max(GRID, key=lambda t: (round(f1_dem[t], 9), -t))
    lower = [t for t in GRID if t <= demonstrated]
    f1_any = {t: _macro_f1((anyone >= t) | named | (own >= demonstrated), gold_any) for t in lower}
    partial = max(lower, key=lambda t: (round(f1_any[t], 9), -t))
    return {
        "demonstrated": demonstrated,
        "partial": partial,
        "cv_macro_f1_demonstrated": round(f1_dem[demonstrated], 4),
        "cv_macro_f1_present": round(f1_any[partial], 4),
    }


def _reviews_summary(path: Path, texts: list[Text]) -> dict:
    reviewed = [t for t in texts if t.judged is not None]
    return {
        "file_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16],
        "drafts": len(reviewed),
        "verdicts": sum(len(t.judged or []) for t in reviewed),
        "workspaces": len({t.group for t in reviewed}),
    }


def oof_thresholds(kb, texts: list[Text], probabilities: dict) -> dict:
    """The thresholds chosen on out-of-fold probabilities (text id -> sentences x standards) of ``texts``."""
    scores = [decide_scores(np.asarray(probabilities[t.id]), np.array(own_work(t.sentences))) for t in texts]
    patterns = [keyword_pattern(s.keywords) for s in kb.standards]
    named = np.array([[bool(p and p.search(" ".join(t.sentences))) for p in patterns] for t in texts])
    return choose_thresholds(texts, [s.id for s in kb.standards], scores, named)


def member_thresholds(program: str, k: int) -> dict:
    """The thresholds member ``k`` alone would have been given (the single-model baseline the evaluation
    reports next to the averaged members)."""
    from app.config import get_settings
    from app.knowledge.loader import load_knowledge

    probabilities = json.loads(oof_path(program).read_text())["member_probabilities"][k]
    kb = load_knowledge(get_settings().knowledge_dir)[program]
    return oof_thresholds(kb, [t for t in training_texts(program) if t.id in probabilities], probabilities)


def oof_path(program: str) -> Path:
    return OOF_RESULTS if program == PROGRAM else OOF_RESULTS.with_name(f"evidence_oof_{program}.json")


@dataclass(frozen=True)
class Recipe:
    """One member of a program's sentence model: how it is fine-tuned."""

    seed: int
    rewrites: bool  # also on the helpers' rewrites of the development texts (CPT)


# Chosen on author-held-out CV (evaluation/README.md, "Rewrites and three members"): the three averaged
# scored 0.785 against 0.752 for the first alone. A program not listed gets the first alone.
MEMBERS = {PROGRAM: (Recipe(SEED, False), Recipe(SEED + 1, False), Recipe(SEED, True))}
SINGLE = (Recipe(SEED, False),)


def _cv_thresholds(kb, runs: list, program: str, elsewhere: Path | None) -> dict:
    """Thresholds on the members' averaged out-of-fold probabilities (every member scores the same texts;
    rewrites are never scored), which are kept so that decision rules can be compared on them without
    fine-tuning again (``elsewhere``: a folder for them instead of the committed file)."""
    texts, authors = runs[0][1], runs[0][2]
    scored = [t for t in texts if fold_of(t, authors) >= 0 and not t.rewrite]
    average = {t.id: np.mean([run[3][t.id] for run in runs], axis=0) for t in scored}
    write_result(
        {
            "folds": FOLDS,
            "standards": [s.id for s in kb.standards],
            "members": [vars(run[0]) for run in runs],
            "probabilities": {i: np.round(p, 4).tolist() for i, p in average.items()},
            "member_probabilities": [{i: np.round(p, 3).tolist() for i, p in run[3].items()} for run in runs],
        },
        oof_path(program) if elsewhere is None else elsewhere / f"oof_{program}.json",
        indent=None,
    )
    return oof_thresholds(kb, scored, average)


def member_file(program: str, k: int) -> str:
    return f"{program}.npz" if k == 0 else f"{program}-{k + 1}.npz"


def train_evidence(
    settings,
    out_dir: Path,
    log=print,
    program: str = PROGRAM,
    reviews: Path | None = None,
    members: tuple[Recipe, ...] | None = None,
    cv: bool = True,
) -> dict:
    """Each member is cross-validated on the same author-held-out folds, the members' out-of-fold
    probabilities are averaged and the thresholds chosen on that average; then each member is fitted on
    everything. ``reviews``: also train on reviewers' verdicts exported by ``certprep reviews export`` (in
    every fold's training data, never in the texts that choose thresholds). ``cv=False``: the members are only
    fitted on everything and the thresholds are the ones the committed out-of-fold probabilities choose
    (``oof_path``): a quarter of the time, for when the data grew but the recipe did not."""
    from app.knowledge.loader import load_knowledge

    kb = load_knowledge(settings.knowledge_dir)[program]
    standards = [s.id for s in kb.standards]
    from app.embeddings import get_embedder

    base = get_embedder(settings.embedding_model_path, settings).model_path
    recipes = members or MEMBERS.get(program, SINGLE)
    runs = []
    for m, recipe in enumerate(recipes):
        log(f"member {m + 1}/{len(recipes)}: seed {recipe.seed}, rewrites {recipe.rewrites}")
        texts = training_texts(program, reviews, recipe.rewrites)
        if not any(t.judged is None for t in texts):
            raise ValueError(f"no development texts for {program!r} (evaluation/data/independent/{program}/PD-*.yaml)")
        authors = sorted({t.group for t in texts if t.group != "existing" and t.judged is None})
        folds = np.array([fold_of(t, authors) for t in texts])
        oof: dict[str, np.ndarray] = {}
        for k in range(FOLDS if cv else 0):
            log(f"fold {k + 1}/{FOLDS}: holding out {[a for a in authors if authors.index(a) % FOLDS == k]}")
            train = [t for t, f in zip(texts, folds, strict=True) if f != k]
            network, tokenizer = fit(train, standards, base, log, recipe.seed)
            for i in np.flatnonzero(folds == k):
                if not texts[i].rewrite:
                    oof[texts[i].id] = np.round(predict(network, tokenizer, texts[i].sentences), 4)
        runs.append((recipe, texts, authors, oof))
    texts, authors = runs[0][1], runs[0][2]
    if cv:
        thresholds = _cv_thresholds(kb, runs, program, out_dir if reviews else None)
    else:
        committed = json.loads(oof_path(program).read_text())
        if [Recipe(**m) for m in committed["members"]] != list(recipes):
            raise ValueError(f"{oof_path(program)} was cross-validated for other members: run with cross-validation")
        probabilities = committed["probabilities"]
        thresholds = oof_thresholds(kb, [t for t in texts if t.id in probabilities], probabilities)
    log(f"thresholds: {thresholds}")

    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for m, (recipe, member_texts, _, _) in enumerate(runs):
        log(f"member {m + 1}/{len(runs)}: final model on all development data")
        network, _ = fit(member_texts, standards, base, log, recipe.seed)
        weights = out_dir / member_file(program, m)
        state = {k: v.detach().numpy().astype(np.float16) for k, v in network.tuned_state().items()}
        with weights.open("wb") as handle:
            np.savez_compressed(handle, **state)
        files.append(weights)
    config = EvidenceConfig(
        program=program,
        standards=standards,
        tuned_layers=TUNED_LAYERS,
        max_tokens=MAX_TOKENS,
        scale=SCALE,
        demonstrated=thresholds["demonstrated"],
        partial=thresholds["partial"],
        quote=thresholds["partial"],
        weights_sha256=weights_digest(files[0]),
        members=[Member(file=f.name, weights_sha256=weights_digest(f)) for f in files[1:]],
        trained_on={
            "texts": len(texts),
            "sentences": sum(len(t.sentences) for t in texts),
            "authors": (["existing"] if any(t.group == "existing" for t in texts) else []) + authors,
            **({"reviews": _reviews_summary(reviews, texts)} if reviews else {}),
            "members": [vars(run[0]) | {"rewrites_read": sum(t.rewrite for t in run[1])} for run in runs],
            "epochs": EPOCHS,
            "cv": "author-held-out folds, the members' probabilities averaged"
            if cv
            else f"not re-run: thresholds from the committed out-of-fold probabilities ({oof_path(program).name})",
            "cv_macro_f1_demonstrated": thresholds["cv_macro_f1_demonstrated"],
            "cv_macro_f1_present": thresholds["cv_macro_f1_present"],
        },
    )
    (out_dir / f"{program}.json").write_text(json.dumps(config.model_dump(), indent=1) + "\n")
    return config.model_dump()
