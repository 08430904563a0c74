"""Answers composed from retrieved passages, for when no LLM is configured.

The answer only restates cited passages (each sentence carries its [n] marker), so it can never state
a fact the knowledge base does not hold. The chat assistant builds richer, role-shaped answers on top.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from app.retrieval.service import Hit

NOT_COVERED = (
    "The knowledge base does not cover this question. Try rephrasing it, or check the program's current handbook."
)


class Citation(BaseModel):
    id: str
    source: str
    title: str
    kind: str
    standard: str | None
    text: str
    score: float
    confidence: str
    note: str | None = None


class Answer(BaseModel):
    question: str
    program: str | None
    answer: str
    citations: list[Citation]
    confidence: Literal["high", "medium", "low", "none"]

    def public(self) -> dict:
        """The documented JSON shape of `certprep ask --json`."""
        data = self.model_dump()
        data["citations"] = [
            {key: c[key] for key in ("source", "title", "kind", "standard", "text", "score", "confidence")}
            for c in data["citations"]
        ]
        return data


def passage_body(text: str) -> str:
    """A chunk's text without the heading it carries for retrieval ("CPT Standard 6 (S6): ... .")."""
    for marker in (
        " A:",
        "A reviewer looks for this:",
        "Evidence that demonstrates it:",
        "Common weaknesses in narratives:",
        "Examples of strong evidence:",
        "Questions a mentor can ask:",
    ):
        if marker in text:
            return text.split(marker, 1)[1].strip()
    return text.strip()


def _first_sentences(text: str, limit: int = 2) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", passage_body(text))
    return " ".join(sentences[:limit]).strip()


def to_citation(hit: Hit) -> Citation:
    meta = hit.metadata
    return Citation(
        id=hit.id,
        source=str(meta.get("sources") or meta.get("source") or ""),
        title=str(meta.get("title", "")),
        kind=str(meta.get("kind", "")),
        standard=str(meta.get("standard")) or None,
        text=hit.text,
        score=hit.score,
        confidence=str(meta.get("confidence", "confirmed")),
        note=str(meta.get("note")) or None,
    )


def compose_answer(question: str, program: str | None, hits: list[Hit]) -> Answer:
    if not hits:
        return Answer(question=question, program=program, answer=NOT_COVERED, citations=[], confidence="none")
    citations = [to_citation(h) for h in hits]
    top = citations[0]
    lines = [f"{_first_sentences(top.text)} [1]"]
    if top.confidence == "uncertain":
        lines.append(f"Note: this rule is uncertain in the sources. {top.note or ''} [1]".strip())
    related = [f"{c.title} [{n}]" for n, c in enumerate(citations[1:3], start=2)]
    if related:
        lines.append("See also: " + "; ".join(related) + ".")
    best = top.score
    confidence = "high" if best >= 0.6 else "medium" if best >= 0.45 else "low"
    if top.confidence == "uncertain" and confidence == "high":
        confidence = "medium"
    return Answer(
        question=question,
        program=program,
        answer="\n".join(lines),
        citations=citations,
        confidence=confidence,
    )
