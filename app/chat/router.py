"""Which engine a message needs, and what it refers to (program, role, standard, facts).

Rules over the words of the message and the previous turn, not a model: they are fast, predictable, and
a reviewer can read why a message went where it did. Program names come from the knowledge base, so a
program added as data is recognised without code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.chat.facts import Reading, read_facts, take
from app.chat.models import Intent, Role, Session
from app.knowledge.schema import KnowledgeBase

_STANDARD = re.compile(r"\b(?:standard|std\.?|s)\s*#?\s*(\d{1,2})\b", re.IGNORECASE)
_ROLE = re.compile(
    r"\b(?:as(?: an?)?|i am(?: an?)?|i'm(?: an?)?|switch to|role:?)\s+(candidate|applicant|mentor|coach|staff)\b", re.I
)
_ROLE_ALIASES = {"applicant": Role.candidate, "coach": Role.mentor}
_FOLLOWUP = re.compile(
    r"^\s*(?:and|what about|how about|what if|and if|and for|same for|also|then|ok(?:ay)?,? and|but)\b", re.I
)
_ELIGIBILITY_ASK = re.compile(
    r"\b(eligib\w*|qualif\w*|can i (?:sit|apply|take)|am i (?:able|allowed|ready)|enough|do i meet|"
    r"sit (?:for )?the exam|apply now|count toward|still need|missing)\b",
    re.I,
)
_NARRATIVE_ASK = re.compile(
    r"\b(does this|do these|is this|check (?:this|my)|review (?:this|my)|show[s]?|demonstrat\w*|"
    r"my (?:narrative|draft|project))\b",
    re.I,
)
_FIRST_PERSON_WORK = re.compile(r"\b(?:I|we|my team|our)\b[^.?!]{0,80}\b\w+ed\b", re.I)
_DOMAIN = re.compile(
    r"\b(cert\w*|standard|ethic\w*|exam|eligib\w*|attest\w*|project|narrative|hours?|ceus?|points?|renew\w*|"
    r"recert\w*|apply|application|fee|degree|experience|evidence|criteria|criterion|reviewer|mentor|"
    r"organi[sz]\w*|performance|code|deadline|audit|substitut\w*|credit|pdus?|months?|contact)\b",
    re.I,
)
GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|thanks?( you)?|help)\W*$", re.I)
NARRATIVE_MIN_WORDS = 60


@dataclass
class Route:
    intent: Intent
    program: str
    role: Role
    standard: str | None = None
    query: str = ""
    narrative: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)  # how this message stated ``facts``
    switched_program: bool = False
    switched_role: bool = False


def program_aliases(knowledge: dict[str, KnowledgeBase]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for pid, kb in knowledge.items():
        for alias in {pid, kb.program.short_name, kb.program.name, *kb.program.aliases}:
            aliases[alias.lower()] = pid
    return aliases


def detect_program(text: str, knowledge: dict[str, KnowledgeBase]) -> str | None:
    lowered = text.lower()
    found = [
        (match.start(), pid)
        for alias, pid in program_aliases(knowledge).items()
        for match in re.finditer(rf"\b{re.escape(alias)}\b", lowered)
    ]
    return max(found)[1] if found else None  # the last one named wins ("not the CPT, the CPO")


def unknown_standard(text: str, kb: KnowledgeBase) -> int | None:
    """A standard number the message names ("standard 42") that the program does not have."""
    ids = {s.id for s in kb.standards}
    for match in re.finditer(r"\bstandard\s*#?\s*(\d{1,3})\b", text, re.IGNORECASE):
        if f"S{int(match.group(1))}" not in ids:
            return int(match.group(1))
    return None


def detect_standard(text: str, kb: KnowledgeBase) -> str | None:
    ids = {s.id for s in kb.standards}
    for match in _STANDARD.finditer(text):
        sid = f"S{int(match.group(1))}"
        if sid in ids:
            return sid
    lowered = text.lower()
    for standard in kb.standards:
        if standard.title.lower() in lowered:
            return standard.id
    return None


def _split_narrative(message: str) -> tuple[str | None, str]:
    """A pasted narrative and the question around it ("does this show cause analysis?")."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if len(paragraphs) > 1:
        question = [p for p in paragraphs if len(p.split()) < 25 and "?" in p]
        body = [p for p in paragraphs if p not in question]
        if body and sum(len(p.split()) for p in body) >= NARRATIVE_MIN_WORDS // 2:
            return "\n\n".join(body), " ".join(question)
    words = len(message.split())
    if words >= NARRATIVE_MIN_WORDS and len(_FIRST_PERSON_WORK.findall(message)) >= 2:
        sentences = re.split(r"(?<=[.!?])\s+", message.strip())
        question = [s for s in sentences if s.endswith("?") and len(s.split()) < 25]
        body = " ".join(s for s in sentences if s not in question)
        return body, " ".join(question)
    return None, message


def route(
    message: str,
    session: Session,
    knowledge: dict[str, KnowledgeBase],
    attachment: str | None = None,
) -> Route:
    text = message.strip()
    program = session.program if session.program in knowledge else next(iter(knowledge))
    named = detect_program(text, knowledge)
    switched_program = named is not None and named != program
    program = named or program
    kb = knowledge[program]

    role, switched_role = session.role, False
    role_match = _ROLE.search(text)
    if role_match:
        word = role_match.group(1).lower()
        role = _ROLE_ALIASES.get(word, Role(word) if word in Role.__members__ else session.role)
        switched_role = role != session.role

    previous = session.last_assistant()
    standard = detect_standard(text, kb) if kb.standards else None

    def make(intent: Intent, standard: str | None = None, query: str = text, **extra: Any) -> Route:
        return Route(
            intent,
            program,
            role,
            standard,
            query=query,
            switched_program=switched_program,
            switched_role=switched_role,
            **extra,
        )

    narrative, question = (attachment, text) if attachment else _split_narrative(text)
    if narrative:
        asked = standard or (detect_standard(question, kb) if kb.standards else None)
        return make(Intent.narrative, asked, query=question, narrative=narrative)

    readings = read_facts(text)
    mentioned = [r for r in readings if r.stance != "rule"]
    # a short message is a follow-up only when it brings no topic of its own ("why?", "and the fee?" count)
    is_followup = bool(_FOLLOWUP.match(text)) or (
        len(text.split()) <= 4 and previous is not None and not mentioned and not _DOMAIN.search(text)
    )
    after_eligibility = (
        previous is not None
        and previous.intent is Intent.eligibility
        and (is_followup or (bool(mentioned) and len(text.split()) <= 6))
    )
    asks = bool(_ELIGIBILITY_ASK.search(text))
    # numbers in a question count as the user's only when the message asks about their eligibility
    taken = take(readings, include_bare=asks or after_eligibility)
    facts = {r.key: r.value for r in taken}
    if facts and (asks or len(facts) >= 2 or after_eligibility):
        return make(Intent.eligibility, standard, facts=facts, readings=taken)

    if is_followup and previous is not None and previous.intent is not None:
        # a follow-up with facts to an eligibility turn returned above; here only the program changes
        if previous.intent is Intent.eligibility and switched_program:
            return make(Intent.eligibility, standard, facts=facts, readings=taken)
        if previous.intent in (Intent.knowledge, Intent.followup) and previous.query:
            query = previous.query
            if standard and previous.standard and previous.program == program:
                query = (
                    re.sub(_STANDARD, f"standard {standard[1:]}", query)
                    if _STANDARD.search(query)
                    else (f"{query} ({kb.standard(standard).title})")
                )
            elif standard:
                query = f"{query} {kb.standard(standard).title}"
            elif not switched_program and not switched_role:
                query = f"{previous.query} {text}"
            kept = standard or (previous.standard if not switched_program else None)
            return make(Intent.followup, kept, query=query)

    if (switched_program or switched_role) and len(text.split()) <= 6 and previous is None:
        return make(Intent.out_of_scope)
    if GREETING.match(text) or (not _DOMAIN.search(text) and named is None and standard is None):
        return make(Intent.out_of_scope)
    return make(Intent.knowledge, standard)
