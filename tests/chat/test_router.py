"""Routing and fact extraction: fast, no model."""

from __future__ import annotations

import pytest

from app.chat.citations import validate_citations
from app.chat.facts import extract_facts, read_facts, take
from app.chat.models import Intent, Role, Session, Turn
from app.chat.numbers import digits
from app.chat.redact import redact
from app.chat.router import detect_program, route
from app.knowledge import load_knowledge
from tests.conftest import SHIPPED_KNOWLEDGE

NARRATIVE = (
    "In 2024 I worked with the night-shift nurses of a 30-bed ward on medication errors. We pulled six months "
    "of incident reports and interviewed eight nurses and two pharmacists. We found that interruptions during "
    "the medication round caused most errors, so we designed a no-interruption vest and a quiet zone, piloted "
    "them for eight weeks and compared the error rate with the baseline.\n\nDoes this show cause analysis?"
)


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(SHIPPED_KNOWLEDGE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have 1,400 paid hours and an associate degree", {"paid_hours": 1400, "education": "associate"}),
        ("what if I had a bachelor's instead?", {"education": "bachelor"}),
        ("I've got 1500 hours, 200 of them volunteer hours", {"paid_hours": 1500}),
        ("I have 5 years of experience in performance consulting", {"experience_years": 5}),
        ("I hold a master's degree and signed the code of ethics", {"education": "advanced", "ethics_agreed": True}),
        ("what does standard 6 expect?", {}),
    ],
)
def test_facts(text, expected):
    facts = extract_facts(text)
    assert {k: facts[k] for k in expected} == expected
    if not expected:
        assert facts == {}


def test_program_named_last_wins(knowledge):
    assert detect_program("not the CPT, the Certified Professional Organizer", knowledge) == "cpo"
    assert detect_program("what does standard 6 expect?", knowledge) is None


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("What does standard 6 expect?", Intent.knowledge),
        ("I have 1,400 paid hours and an associate degree, can I sit the exam?", Intent.eligibility),
        (NARRATIVE, Intent.narrative),
        ("hello", Intent.out_of_scope),
        ("what's the weather in Paris?", Intent.out_of_scope),
    ],
)
def test_intents(knowledge, message, intent):
    assert route(message, Session(program="cpt"), knowledge).intent is intent


def test_narrative_is_split_from_its_question(knowledge):
    r = route(NARRATIVE, Session(program="cpt"), knowledge)
    assert r.narrative and r.narrative.startswith("In 2024") and "Does this show" not in r.narrative
    assert r.query == "Does this show cause analysis?"


def test_followup_rewrites_the_previous_question(knowledge):
    session = Session(program="cpt")
    session.remember(
        Turn(
            speaker="assistant",
            text="...",
            intent=Intent.knowledge,
            program="cpt",
            standard="S6",
            query="What does standard 6 expect?",
        )
    )
    r = route("what about standard 7?", session, knowledge)
    assert (r.intent, r.standard, r.query) == (Intent.followup, "S7", "What does standard 7 expect?")
    r = route("and for the CPO?", session, knowledge)
    assert (r.intent, r.program, r.switched_program) == (Intent.followup, "cpo", True)


def test_eligibility_followup_keeps_intent(knowledge):
    session = Session(program="cpo")
    session.remember(Turn(speaker="assistant", text="...", intent=Intent.eligibility, program="cpo"))
    r = route("and if I had a bachelor's instead?", session, knowledge)
    assert r.intent is Intent.eligibility and r.facts == {"education": "bachelor"}


def test_role_switch(knowledge):
    r = route("as a mentor, what should I ask about standard 7?", Session(program="cpt"), knowledge)
    assert r.role is Role.mentor and r.switched_role and r.standard == "S7"
    assert route("Can a peer attest? as staff", Session(), knowledge).role is Role.staff


def test_history_is_bounded():
    session = Session(max_turns=4)
    for i in range(10):
        session.remember(Turn(speaker="user", text=str(i)))
    assert [t.text for t in session.history] == ["6", "7", "8", "9"]


@pytest.mark.parametrize(
    ("text", "n", "problem"),
    [
        ("Clients and supervisors may attest [1].", 2, None),
        ("Clients and supervisors may attest.", 2, "the answer cites no passage"),
        ("Peers may attest [3].", 2, "the answer cites passages that were not retrieved: [3]"),
        ("Yes [0] and [1].", 2, "the answer cites passages that were not retrieved: [0]"),
    ],
)
def test_citation_validator(text, n, problem):
    assert validate_citations(text, n) == problem


def test_redaction():
    text = (
        "My client Maria Gonzalez (maria.g@example.com, +1 415-555-0134) asked Dr. Patel to join. "
        "We met at the Northside Hospital with Ana Costa. The CPT Standard Determine Cause applies."
    )
    out = redact(text, keep={"CPT", "Determine", "Cause", "Standard"})
    for secret in ("Maria", "Gonzalez", "maria.g@example.com", "555-0134", "Patel", "Ana Costa"):
        assert secret not in out
    assert "[email]" in out and "[phone]" in out and "My client [name]" in out
    assert "Standard Determine Cause applies" in out
    assert "1,500 hours in 2024" in redact("1,500 hours in 2024")


# --- issue 18: only the user's own situation feeds the rules engine; numbers as people write them -----


@pytest.mark.parametrize(
    "message",
    [
        "Does volunteer organizing count toward the 1,500 hours?",
        "Can my college degree count toward the CPO hours requirement?",
        "Do I need 1,500 hours or is it 1,250?",
        "Does the CPT require 3 years of experience?",
        "Do my 200 volunteer hours count?",
        "Which is worth more, an associate degree or a bachelor's?",
        "I organize about 10 paid hours a week. Is that enough to qualify in three years?",  # a rate, not a total
        "I showed evaluation in only one of my three projects - is that going to be enough?",  # about one project
    ],
)
def test_a_number_or_degree_a_question_asks_about_is_not_the_users_fact(knowledge, message):
    r = route(message, Session(program="cpo"), knowledge)
    # (out_of_scope here only means the router's vocabulary missed it: the assistant then searches)
    assert r.intent in (Intent.knowledge, Intent.out_of_scope) and r.facts == {}


@pytest.mark.parametrize(
    ("message", "facts"),
    [
        (
            "I've worked 4 years in performance consulting and did 2 projects. Am I eligible?",
            {"experience_years": 4, "projects": 2},
        ),
        ("I have 1,400 paid hours and my bachelor's degree", {"paid_hours": 1400, "education": "bachelor"}),
        ("Is 1,400 hours enough to sit the CPO exam?", {"paid_hours": 1400}),
        ("five years of experience and three projects, can I apply?", {"experience_years": 5, "projects": 3}),
    ],
)
def test_the_users_own_situation_still_feeds_the_engine(knowledge, message, facts):
    r = route(message, Session(program="cpt"), knowledge)
    assert r.intent is Intent.eligibility and r.facts == facts


@pytest.mark.parametrize(
    ("text", "key", "value", "qualifier"),
    [
        ("I have 4 years of experience and two projects", "projects", 2, "exact"),
        ("I have fifteen hundred paid hours", "paid_hours", 1500, "exact"),
        ("I've logged 1.5k paid hours", "paid_hours", 1500, "exact"),
        ("I did a dozen projects", "projects", 12, "exact"),
        ("I did a couple of projects", "projects", 2, "exact"),
        ("I have twenty-five years of experience", "experience_years", 25, "exact"),
        ("I have two and a half years of experience", "experience_years", 2.5, "exact"),
        ("I have 3-4 years of experience", "experience_years", 3, "range"),
        ("I have between 1,200 and 1,400 paid hours", "paid_hours", 1200, "range"),
        ("I have about 1,500 paid hours", "paid_hours", 1500, "approximate"),
        ("I have roughly twelve hundred paid hours", "paid_hours", 1200, "approximate"),
        ("I have more than 5 years of experience", "experience_years", 5, "over"),
        ("I have almost 1,500 paid hours", "paid_hours", 1499, "below"),
        ("I have nearly 3 years of experience", "experience_years", 2, "below"),
        ("I have a college degree", "education", "associate", "lowest"),
    ],
)
def test_numbers_in_words_ranges_and_approximations(text, key, value, qualifier):
    (reading,) = [r for r in take(read_facts(text), include_bare=True) if r.key == key]
    assert (reading.value, reading.qualifier) == (value, qualifier)


def test_what_about_is_not_an_approximation():
    assert extract_facts("what about 1,450 hours?") == {"paid_hours": 1450}
    (reading,) = read_facts("what about 1,450 hours?")
    assert reading.qualifier == "exact"


@pytest.mark.parametrize(
    ("text", "digits_text"),
    [
        ("one thousand five hundred and fifty hours", "1550 hours"),
        ("two and three projects", "2 and 3 projects"),
        ("1.5 thousand hours", "1500 hours"),
        ("half a dozen projects", "6 projects"),
    ],
)
def test_number_words_become_digits(text, digits_text):
    assert digits(text) == digits_text
