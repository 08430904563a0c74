"""Coaching questions for a mentor, one short list per gap in a project.

The questions come from the knowledge base (each standard's coaching questions), ranked by how close
they are to the criteria the narrative has not met yet, after one question about the candidate's own
words when a standard is only touched on. Nothing is invented, so a mentor can trust every question.
"""

from __future__ import annotations

import numpy as np

from app.mapping.analyzer import NarrativeAnalyzer
from app.mapping.models import ProjectResult, Status
from app.templates import load_templates

QUOTE_CHARS = 90


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    return text[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"


def coaching_questions(analyzer: NarrativeAnalyzer, project: ProjectResult, per_gap: int = 3) -> dict[str, list[str]]:
    """Standard id -> questions, for every standard that is partial or missing, gaps in standard order."""
    templates = load_templates(analyzer.prompts_dir, "coaching")
    standards = {s.id: s for s in analyzer.kb.standards}
    out: dict[str, list[str]] = {}
    for result in project.standards:
        if result.status is Status.demonstrated or result.id not in standards:
            continue
        standard = standards[result.id]
        questions: list[str] = []
        if result.status is Status.partial and result.evidence:
            questions.append(templates["partial"].format(quote=_shorten(result.evidence[0].text), title=standard.title))
        elif result.status is Status.missing:
            questions.append(templates["missing"].format(title=standard.title, quote=""))
        pool = list(standard.coaching_questions)
        unmet = [c.text for c in standard.criteria if c.id not in result.criteria_met]
        if pool and unmet:
            vectors = np.asarray(analyzer.embedder.embed(pool + unmet))
            closeness = (vectors[: len(pool)] @ vectors[len(pool) :].T).max(axis=1)
            pool = [pool[i] for i in np.argsort(-closeness, kind="stable")]
        questions += pool[:per_gap]
        out[result.id] = questions
    return out
