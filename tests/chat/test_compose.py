"""Offline answer composition, without the model: the closing confidence wording (issue 18, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.chat.compose import knowledge_answer, render
from app.chat.models import Role
from app.config import REPO_ROOT
from app.retrieval.answer import Citation
from app.templates import load_templates

T = load_templates(Path(REPO_ROOT / "prompts"), "chat")


def _passage(n: int, confidence: str = "confirmed", note: str | None = None) -> Citation:
    return Citation(
        id=f"x:faq.{n}",
        source="N1",
        title=f"Passage {n}",
        kind="faq",
        standard=None,
        text=f"X FAQ. Q: Question {n}? A: The rule number {n} says something about the hours you need.",
        score=0.7,
        confidence=confidence,
        note=note,
    )


@pytest.mark.parametrize("role", list(Role))
def test_closing_confidence_agrees_with_every_cited_passage(role):
    """A confirmed first passage next to an uncertain second one: never "confirmed", and the second one's
    doubt is said, naming it."""
    citations = [_passage(1), _passage(2, "uncertain", "Sources disagree on the window.")]
    text = render(knowledge_answer(role, citations, T, has_standards=False))
    assert "[2]" in text
    assert T["staff_confirmed"] not in text
    named = T["staff_uncertain_named_prefix" if role is Role.staff else "uncertain_named_prefix"]
    assert named.format(title="Passage 2") + "Sources disagree on the window. [2]" in text


def test_confirmed_only_when_every_cited_passage_is():
    text = render(knowledge_answer(Role.staff, [_passage(1), _passage(2)], T, has_standards=False))
    assert text.endswith(T["staff_confirmed"])


def test_one_note_per_doubt_even_when_several_passages_share_it():
    note = "The number comes from old accounts."
    citations = [_passage(1, "uncertain", note), _passage(2, "uncertain", note)]
    text = render(knowledge_answer(Role.staff, citations, T, has_standards=False))
    assert text.count(note) == 1 and f"{T['staff_uncertain_prefix']}{note} [1] [2]" in text


def test_see_also_names_a_criterion_by_what_it_asks_and_quotes_titles():
    from app.chat.compose import related_title
    from app.retrieval.answer import Citation

    criterion = Citation(
        id="cpt:S6.C4",
        source="I1",
        title="Standard 6: Determine Cause: criterion 4",
        kind="criterion",
        standard="S6",
        text="CPT Standard 6 (S6): Determine Cause. A reviewer looks for this: Confirms the cause with data "
        "before choosing a solution, and says how.",
        score=0.5,
        confidence="confirmed",
    )
    assert related_title(criterion) == (
        "“Standard 6: Determine Cause: criterion 4: Confirms the cause with data before choosing a solution, and…”"
    )
    faq = criterion.model_copy(update={"kind": "faq", "title": "Does volunteer work count?"})
    assert related_title(faq) == "“Does volunteer work count?”"
