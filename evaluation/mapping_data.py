"""The labelled narrative set: passages (for training and testing the mapping) and full projects.

The split is fixed by a hash of each passage's id, so adding passages never moves old ones between
train and test, and nothing about the text decides where it lands.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

DATA_DIR = Path(__file__).parent / "data"
PASSAGES = DATA_DIR / "mapping_passages.yaml"
PROJECTS = DATA_DIR / "mapping_projects.yaml"
TEST_SHARE = 0.4
HardCase = Literal["none", "keyword_only", "no_keywords", "off_topic", "injection", "typos"]


def split_of(item_id: str) -> Literal["train", "test"]:
    bucket = int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if bucket < TEST_SHARE else "train"


class Passage(BaseModel):
    id: str
    industry: str
    style: str
    hard_case: HardCase
    demonstrated: list[str] = Field(default_factory=list)
    mentioned: list[str] = Field(default_factory=list)
    text: str

    @property
    def split(self) -> Literal["train", "test"]:
        return split_of(self.id)

    @model_validator(mode="after")
    def _consistent(self) -> Passage:
        both = set(self.demonstrated) & set(self.mentioned)
        if both:
            raise ValueError(f"{self.id}: {sorted(both)} both demonstrated and mentioned")
        if self.hard_case in ("keyword_only", "off_topic") and self.demonstrated:
            raise ValueError(f"{self.id}: a {self.hard_case} passage cannot demonstrate a standard")
        return self

    def label(self, standard: str) -> str:
        if standard in self.demonstrated:
            return "demonstrated"
        if standard in self.mentioned:
            return "partial"
        return "missing"


class Project(BaseModel):
    id: str
    title: str
    industry: str
    deliberately_missing: list[str] = Field(min_length=1, max_length=3)
    labels: dict[str, Literal["demonstrated", "partial", "missing"]]
    text: str

    @model_validator(mode="after")
    def _consistent(self) -> Project:
        for standard in self.deliberately_missing:
            if self.labels.get(standard) != "missing":
                raise ValueError(f"{self.id}: deliberately missing {standard} must be labelled missing")
        return self


def load_passages(path: Path = PASSAGES) -> list[Passage]:
    passages = [Passage.model_validate(p) for p in yaml.safe_load(path.read_text(encoding="utf-8"))]
    ids = [p.id for p in passages]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate passage ids")
    return passages


def load_projects(path: Path = PROJECTS) -> list[Project]:
    return [Project.model_validate(p) for p in yaml.safe_load(path.read_text(encoding="utf-8"))]
