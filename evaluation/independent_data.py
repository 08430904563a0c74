"""Narratives by independent writers, labelled blind: the data that measures generalization.

Each batch was written by a separate helper session that saw only the standards' descriptions
(`independent/briefs/standards.md`) and one style brief, never the mapping method, the existing data
or another batch. Every item was then labelled blind by a second helper from the standards and the
written convention (`briefs/labelling.md`), passage by passage and sentence by sentence. Where the
writer's intent and the blind label disagree, a third helper chose between them by that convention,
seeing the two labels unattributed; `readers` keeps all three so the agreement can be recomputed.

Other programs' batches live in a folder named after the program (``independent/pmp/``): authors ``PD-*``
are that program's development set (its sentence model is trained on them), every other author is test
data that nothing is trained or tuned on.

Batches from authors ``A*-*`` are the development set (the method may be fitted and tuned on them);
``B-*`` authors are the test set, read only by `certprep-eval generalization`. ``C-*`` batches (split
``test2``) are a second test set, written and labelled the same way and kept sealed (nothing read them) until
the rewrites round of issue 19 was measured on them (`certprep-eval generalization --test-set C`, looks 1-2),
because ``B-*`` had been looked at twice. ``D-*`` batches (split ``test3``) are a third set, written and labelled
the same way in the int8 round of issue 23, after ``C-*`` had had two looks; nothing read them until
`certprep-eval generalization --test-set D` measured the shipped engine on them. ``E-*`` batches (split
``test4``) are a fourth, written and labelled the same way in issue 19's actor round after ``D-*`` had had two
looks. ``F-*`` (split ``test5``) was written and labelled the same way right after ``E-*`` was measured, and is
sealed for the next round. A new test set is one line in ``TEST_SETS``.

A test set whose looks are spent is retired (``RETIRED``): its batches become development data that training
reads, and its results file stays as the record of what was measured while it was sealed. ``B-*`` to ``E-*``
were retired in issue 19's data round (looks: B 4, C 2, D 2, E 1), after a pilot on development data showed that
more writers help (`evaluation/README.md`); ``F-*`` measured the result. Training never reads an open test set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

INDEPENDENT = Path(__file__).parent / "data" / "independent"
Label = Literal["demonstrated", "partial", "missing"]
Split = Literal["dev", "test", "test2", "test3", "test4", "test5"]
# Each CPT test set: the author prefix of its batches -> its split. Every other prefix is development.
TEST_SETS: dict[str, Split] = {"B": "test", "C": "test2", "D": "test3", "E": "test4", "F": "test5"}
# Test sets whose looks are spent: development data from issue 19's data round on (training reads them).
RETIRED: frozenset[str] = frozenset({"B", "C", "D", "E"})


def open_test_sets() -> dict[str, Split]:
    """The test sets nothing has trained on: the only ones `certprep-eval generalization` measures."""
    return {name: split for name, split in TEST_SETS.items() if name not in RETIRED}


Kind = Literal[
    "evidence", "keyword_only", "planned", "someone_else", "off_topic", "project", "operations", "team_member"
]


class Readers(BaseModel):
    writer: dict[str, Label]
    labeller: dict[str, Label]
    adjudicator: dict[str, Label] = Field(default_factory=dict)


class IndependentItem(BaseModel):
    id: str
    program: str = "cpt"
    author: str
    style: str
    kind: Kind
    text: str
    labels: dict[str, Label] = Field(description="Final label of every standard labelled non-missing.")
    readers: Readers | None = Field(default=None, description="None for exported reviewer verdicts (one reader).")
    judged: list[str] | None = Field(
        default=None,
        description="Exported reviewer verdicts only: the standards a reviewer judged (the others carry no label; "
        "for a judged non-missing standard only the sentences the reviewer relied on are labelled). None: every "
        "standard labelled, every sentence.",
    )
    sentences: list[list[str]] = Field(
        description="Per sentence of app.documents.segment(text): the standards it carries evidence for."
    )

    @property
    def split(self) -> Split:
        if self.program != "cpt":
            # another program's batches: ``PD-*`` authors were written for development, the rest never read
            # by training or tuning
            return "dev" if self.author.startswith("PD-") else "test"
        name = self.test_set
        return TEST_SETS[name] if name is not None and name not in RETIRED else "dev"

    @property
    def test_set(self) -> str | None:
        """The test set the batch was written as (also when retired), None for development batches."""
        prefix = self.author.split("-", 1)[0]
        return prefix if self.program == "cpt" and prefix in TEST_SETS else None

    @model_validator(mode="after")
    def _consistent(self) -> IndependentItem:
        if not self.id.startswith(self.author):
            raise ValueError(f"{self.id}: id does not start with its author {self.author}")
        return self

    def label(self, standard: str) -> Label:
        return self.labels.get(standard, "missing")


def load_reviews(path: Path) -> list[IndependentItem]:
    """Reviewer verdicts exported by ``certprep reviews export``: training data only, never scored."""
    items = [IndependentItem.model_validate(x) for x in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []]
    if any(x.judged is None for x in items):
        raise ValueError(f"{path}: not an export of reviewer verdicts (an item has no `judged` list)")
    return items


def load_independent(split: Split | None = None, path: Path = INDEPENDENT) -> list[IndependentItem]:
    items: list[IndependentItem] = []
    for file in sorted(path.glob("*.yaml")):
        items.extend(IndependentItem.model_validate(x) for x in yaml.safe_load(file.read_text(encoding="utf-8")))
    ids = [x.id for x in items]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate ids in the independent data")
    return [x for x in items if split is None or x.split == split]


def load_test_set(name: str) -> list[IndependentItem]:
    """The batches written as test set ``name`` (``B`` to ``F``), whether it is still open or retired."""
    if name not in TEST_SETS:
        raise ValueError(f"unknown test set {name!r} (known: {', '.join(sorted(TEST_SETS))})")
    return [x for x in load_independent() if x.test_set == name]
