"""Coaching questions for a mentor: one list per gap, from the knowledge base, about the candidate's work."""

from __future__ import annotations

import pytest

from app.config import REPO_ROOT
from app.documents import read_document
from app.mapping.coaching import coaching_questions
from app.mapping.models import Status
from app.mapping.service import get_analyzer

pytestmark = pytest.mark.slow


def test_questions_for_each_gap_and_none_for_demonstrated(settings):
    analyzer = get_analyzer(settings, "cpt")
    project = analyzer.analyze(read_document(REPO_ROOT / "examples/cpt/projects/food-waste.md"))
    questions = coaching_questions(analyzer, project)
    gaps = {s.id for s in project.standards if s.status is not Status.demonstrated}
    assert set(questions) == gaps and gaps
    kb_questions = {s.id: set(s.coaching_questions) for s in analyzer.kb.standards}
    for result in project.standards:
        if result.id not in questions:
            continue
        first, *rest = questions[result.id]
        assert len(rest) == 3 and set(rest) <= kb_questions[result.id]
        if result.status is Status.partial and result.evidence:
            assert first.startswith('You wrote "') and result.evidence[0].text[:30] in first
        else:
            assert first.startswith("Did anything in this project touch")
