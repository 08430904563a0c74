"""Sentence-aligned rewrites of the development texts: more voices for the sentence model to learn from.

Each development text (never one of the test sets, ``B-*`` or ``C-*``) is given to a helper that rewrites
it sentence for sentence in one assigned variant, without seeing any label:

- ``plain``: everyday or trade words, none of the standards' vocabulary (the weakest style at test look 2);
- ``nonnative``: simple first-person English by a non-native writer;
- ``case3p``: retold as a third-person case summary, the practitioner or team as the subject;
- ``planned`` / ``someone_else``: every piece of work retold as only intended, or as done by another
  person while the narrator watched or was told (minimal pairs for the actor-and-tense rule).

The rewrite keeps every fact, figure, actor and tense (except where the variant changes actor or tense),
so a sentence's blind labels carry over to its rewrite; ``planned`` and ``someone_else`` rewrites carry
none, which is what the labelling convention gives such sentences. Rewrites are training data only: in
cross-validation a rewrite stays with its source's author, so it never trains a fold that scores its
source, and it is never scored itself.

``python -m evaluation.augment packets OUT N`` writes N work packets; ``python -m evaluation.augment
collect IN...`` checks the helpers' files and writes ``data/augmented/rewrites.yaml``.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from app.documents import segment
from evaluation.independent_data import load_independent
from evaluation.mapping_data import DATA_DIR, load_passages

REWRITES = DATA_DIR / "augmented" / "rewrites.yaml"
VARIANTS = ("plain", "nonnative", "case3p", "planned", "someone_else")
NEGATIVE = {"planned", "someone_else"}


class Rewrite(BaseModel):
    id: str  # "<source id>~<variant>"
    source: str
    author: str  # the source's author: cross-validation folds keep the two together
    variant: str
    sentences: list[str]
    sentence_labels: list[list[str]] = Field(description="Carried over from the source; empty for negatives.")


def _variant(source_id: str, style: str) -> str:
    """Fixed by a hash of the id, so the assignment does not depend on who ran it or in what order."""
    roll = int(hashlib.sha256(source_id.encode()).hexdigest()[:8], 16) % 100
    if style == "hardneg":  # already negative: give it more voices instead
        return ("plain", "nonnative", "case3p")[roll % 3]
    cuts = ((32, "plain"), (52, "nonnative"), (74, "case3p"), (87, "planned"), (100, "someone_else"))
    variant = next(name for cut, name in cuts if roll < cut)
    if variant == "case3p" and style == "case3p":
        return "plain"
    if variant == "nonnative" and style == "nonnative":
        return "plain"
    return variant


def sources() -> list[dict]:
    """Every development text with its sentences (as the product segments them) and their labels."""
    out = []
    labels = yaml.safe_load((DATA_DIR / "mapping_sentences.yaml").read_text(encoding="utf-8"))
    for p in load_passages():
        if p.split == "train":
            sentences = [s.text for s in segment(p.text).sentences]
            out.append(dict(id=p.id, author="existing", style="existing", sentences=sentences, labels=labels[p.id]))
    for item in load_independent("dev"):
        sentences = [s.text for s in segment(item.text).sentences]
        out.append(dict(id=item.id, author=item.author, style=item.style, sentences=sentences, labels=item.sentences))
    for s in out:
        s["variant"] = _variant(s["id"], s["style"])
    return out


def write_packets(out_dir: Path, n: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    items = sorted(sources(), key=lambda s: hashlib.sha256(s["id"].encode()).hexdigest())
    for k in range(n):
        packet = [{"id": s["id"], "variant": s["variant"], "sentences": s["sentences"]} for s in items[k::n]]
        text = yaml.safe_dump(packet, sort_keys=False, allow_unicode=True, width=110)
        (out_dir / f"packet-{k + 1}.yaml").write_text(text, encoding="utf-8")


def collect(files: list[Path]) -> list[Rewrite]:
    """The helpers' rewrites, checked sentence for sentence against their sources; a rewrite whose sentence
    count differs is dropped with a message (its labels could not be carried over)."""
    by_id = {s["id"]: s for s in sources()}
    out: dict[str, Rewrite] = {}
    for path in files:
        for row in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            source = by_id.get(row.get("id"))
            if source is None:
                print(f"{path}: unknown id {row.get('id')!r}", file=sys.stderr)
                continue
            sentences = [str(x).strip() for x in row.get("sentences") or []]
            if len(sentences) != len(source["sentences"]) or not all(sentences):
                want = len(source["sentences"])
                print(f"{path}: {source['id']}: {len(sentences)} sentences for {want}", file=sys.stderr)
                continue
            variant = source["variant"]
            labels = [[] for _ in sentences] if variant in NEGATIVE else [list(x) for x in source["labels"]]
            out[source["id"]] = Rewrite(
                id=f"{source['id']}~{variant}",
                source=source["id"],
                author=source["author"],
                variant=variant,
                sentences=sentences,
                sentence_labels=labels,
            )
    return list(out.values())


def load_rewrites(path: Path = REWRITES) -> list[Rewrite]:
    if not path.exists():
        return []
    return [Rewrite(**row) for row in yaml.safe_load(path.read_text(encoding="utf-8")) or []]


def main(argv: list[str]) -> None:
    if argv[:1] == ["packets"]:
        write_packets(Path(argv[1]), int(argv[2]))
    elif argv[:1] == ["collect"]:
        rewrites = collect([Path(p) for p in argv[1:]])
        REWRITES.parent.mkdir(parents=True, exist_ok=True)
        header = "# Sentence-aligned rewrites of development texts by helpers (evaluation/augment.py); training only.\n"
        body = yaml.safe_dump([r.model_dump() for r in rewrites], sort_keys=False, allow_unicode=True, width=110)
        REWRITES.write_text(header + body, encoding="utf-8")
        print(f"{len(rewrites)} rewrites -> {REWRITES}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
