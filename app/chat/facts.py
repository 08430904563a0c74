"""Eligibility facts stated in a message ("1,400 paid hours", "an associate degree", "five years").

Only what the person said about their own situation is taken, and nothing is guessed: a number or degree
that is the subject of a question about a rule ("does volunteer work count toward the 1,500 hours?",
"can my college degree count?") is not a fact about the user. Each reading keeps how it was said, so the
answer can say what it took: an approximation ("about", "almost", "over") keeps its number and is
flagged, "almost 1,500" is read as below 1,500, and a range ("3-4 years") is read at its lower bound.
Facts accumulate over a conversation, so a follow-up such as "and if I had a bachelor's instead?"
changes one fact and keeps the rest.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel

from app.chat.numbers import NUMBER, digits, to_number

Stance = Literal["own", "bare", "rule"]
Qualifier = Literal["exact", "approximate", "over", "below", "range", "lowest"]


class Reading(BaseModel):
    """One fact read from a message, and how it was said."""

    key: str
    value: float | str | bool  # what the rules engine is given
    said: float | None = None  # the number as said (a range's lower bound)
    upper: float | None = None  # a range's upper bound
    qualifier: Qualifier = "exact"
    word: str = ""  # the approximation as written ("almost", "more than"), lower-cased
    stance: Stance = "own"  # own situation, a bare number, or the subject of a question about a rule
    in_question: bool = False
    start: int = 0  # position in the message: facts are listed in the order they were said


_BELOW = r"almost|nearly|just\s+under|under|less\s+than|fewer\s+than|not\s+quite|just\s+short\s+of|short\s+of"
_OVER = r"just\s+over|over|more\s+than|above|at\s+least|upwards\s+of|in\s+excess\s+of"
_ABOUT = r"about|around|roughly|approximately|approx\.?|some|close\s+to|~"
_QTY = (
    rf"(?:(?<!what\s)(?<!how\s)(?P<word>{_BELOW}|{_OVER}|{_ABOUT})\s*)?"  # "what about 1,450?" is exact
    rf"(?:between\s+(?P<lo>{NUMBER})\s+and\s+(?P<hi>{NUMBER})"
    rf"|(?P<a>{NUMBER})\s*(?:-|–|—|to|or)\s*(?P<b>{NUMBER})"
    rf"|(?P<n>{NUMBER}))"
    r"(?P<plus>\s*\+)?"
)
_AFTER = re.compile(r"^\s*(?:(?P<more>or\s+more|plus|\+)|(?P<about>or\s+so|-?ish|give\s+or\s+take))\b", re.I)
_HOURS = re.compile(
    _QTY + r"\s*(?:paid\s+|client\s+|billable\s+|work(?:ing)?\s+|organi[sz]ing\s+)*(?:hours?|hrs?)\b"
    r"(?!\s+(?:a|an|per|each|every)\s+(?:day|week|month|year)\b|\s+(?:daily|weekly|monthly|yearly))",  # a rate
    re.I,
)
# hours of instruction ("35 contact hours", "40 hours of project management training") are not work hours
_CONTACT = re.compile(
    _QTY + r"\s*(?:contact\s+hours?|(?:hours?|hrs?)\s+of\s+(?:formal\s+)?(?:project\s+management\s+|pm\s+)?"
    r"(?:education|training|instruction|coursework|courses?|classes))\b",
    re.I,
)
_MONTHS = re.compile(
    _QTY + r"\s*months?(?:\s+of)?(?:\s+[\w-]+){0,3}?\s+(?:experience|leading|managing|running|projects?)\b", re.I
)
_CREDENTIALS = {"capm": re.compile(r"\bCAPM\b"), "gac_degree": re.compile(r"\bGAC[- ]accredited\b", re.I)}
_UNPAID = re.compile(_QTY + r"\s*(?:unpaid|volunteer(?:ed|ing)?|pro[- ]bono)\s*(?:hours?|hrs?)\b", re.I)
_YEARS = re.compile(
    _QTY
    + r"\s*(?:years?|yrs?)['’]?(?:\s+of)?(?:\s+[\w-]+){0,3}?\s+(?:experience|work|field|industry|profession|practice)\b",  # noqa: E501
    re.I,
)
_YEARS_SIMPLE = re.compile(
    r"\b(?:for|worked|working|been)\s+(?:[\w-]+\s+){0,3}?(?P<qty>" + _QTY + r")\s*(?:years?|yrs?)\b", re.I
)
_COUNTS = {
    "projects": re.compile(_QTY + r"\s*(?:(?!hours?\b|years?\b)[a-z-]+\s+)?projects?\b", re.I),
    "points": re.compile(_QTY + r"\s*(?:recertification\s+)?points?\b", re.I),
    "ceus": re.compile(_QTY + r"\s*(?:ceus?|continuing education units?)\b", re.I),
}

# Words that name each education level; the structured answers read degree names with the same list.
EDUCATION_WORDS: dict[str, list[str]] = {
    "advanced": ["master's", "masters", "mba", "phd", "ph.d", "doctorate", "graduate degree", "advanced degree"],
    "bachelor": ["bachelor's", "bachelors", "bachelor", "ba", "bs", "bsc", "b.a.", "b.s.", "undergraduate degree"],
    "associate": ["associate's", "associates", "associate", "two-year degree"],
    "high_school": ["high school", "high-school", "ged", "diploma"],
}
# Says there is a degree without its level: read as the lowest degree, and the answer says so.
_ANY_DEGREE = ("associate", re.compile(r"\b(?:college|university)\s+degree\b", re.I))
_NO_EDUCATION = re.compile(
    r"\b(?:no (?:degree|diploma)|never finished (?:high )?school|without a (?:degree|diploma))\b", re.I
)
_EDUCATION = [
    (level, re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w'])", re.I))
    for level, words in EDUCATION_WORDS.items()
]
_ETHICS_YES = re.compile(r"\b(signed|agreed to|accept(?:ed)?)\b[^.?!]{0,30}\bethic", re.I)
_ETHICS_NO = re.compile(
    r"\b(not|haven'?t|didn'?t|never)\b[^.?!]{0,25}\b(signed|agreed|accept\w*)\b[^.?!]{0,30}ethic", re.I
)

# How a mention sits in its sentence.
_SENTENCE_END = re.compile(r"[.?!;]+(?=\s|$)|\n")
_QUESTION_START = re.compile(
    r"^\W*(?:and\s+|but\s+|so\s+|ok(?:ay)?,?\s+)?(?:does|do|did|can|could|is|are|was|were|will|would|should|must|"
    r"may|might|what|which|how|when|where|who|why)\b",
    re.I,
)
_PRONOUN = re.compile(r"\b(?:I|we)\b", re.I)
_POSSESSIVE = re.compile(r"\b(?:my|our)\s+(?:[\w'’-]+\s+){0,2}$", re.I)
_HAVE = (
    r"have|has|had|ve|got|hold|held|did|done|completed|finished|worked|work|working|logged|earned|accumulated|"
    r"gained|spent|put|reached|carry|ran|led|managed|wrote|documented|own|am|m|was|been|clocked|racked|billed|"
    r"delivered|with|total|at"
)
_POSSESSION = re.compile(rf"\b(?:{_HAVE})\b", re.I)
# first-person words that ask about a rule rather than state a situation ("do I need 1,500 hours?")
_ASKING = re.compile(
    r"\b(?:need|needs|must|require[sd]?|should|count(?:ed)?|claim|use|include|get|want|wonder\w*|think|know|"
    r"heard|read|ask\w*|believe|understand|mean|see|supposed|allowed)\b|\b(?:have|has|had)\s+to\b",
    re.I,
)
_ADJECTIVES = r"(?:(?!(?:for|of|in|on|to|with|about|and|or|is|are|was)\b)[\w'’-]+\s+){0,2}"
_DETERMINER = re.compile(rf"\b(?:the|those|these|this|that|its|their|your)\s+{_ADJECTIVES}$", re.I)
_HAVE_THE = re.compile(rf"\b(?:{_HAVE})\s+(?:all\s+)?(?:of\s+)?(?:the|those|these)\s+{_ADJECTIVES}$", re.I)
_PARTITIVE = re.compile(
    rf"\b(?:{NUMBER}|each|all|some|none|any|both|several|most)\s+of\s+(?:my|our|the|those|these)\s+$", re.I
)
_REQUIREMENT_AFTER = re.compile(
    r"^\s*(?:[\w'’-]+\s+){0,2}?(?:requirement|minimum|needed|required|rule|cap|limit|threshold)\b", re.I
)
_RULE_VERB = re.compile(
    r"\b(?:count|counts|counted|worth|substitute[sd]?|replace[sd]?|credit(?:ed)?|accepted|"
    r"recogni[sz]ed|allowed|add\s+up)\b",
    re.I,
)


def _sentence(text: str, start: int) -> tuple[int, int]:
    left, right = 0, len(text)
    for m in _SENTENCE_END.finditer(text):
        if m.end() <= start:
            left = m.end()
        elif m.start() >= start:
            right = m.end()
            break
    return left, right


def _stance(text: str, start: int, end: int) -> tuple[Stance, bool]:
    """Whether a mention states the user's situation, is a bare number, or is what a question asks about."""
    left, right = _sentence(text, start)
    sentence = text[left:right].strip()
    prefix, suffix = text[left:start], text[end:right]
    question = sentence.endswith("?") or bool(_QUESTION_START.match(sentence))
    pronouns = list(_PRONOUN.finditer(prefix))
    between = prefix[pronouns[-1].end() :] if pronouns else ""
    states = bool(pronouns) and bool(_POSSESSION.search(between)) and not _ASKING.search(between)
    asks = bool(pronouns) and bool(_ASKING.search(between))
    if _DETERMINER.search(prefix) and not (states and _HAVE_THE.search(prefix)):
        return "rule", question
    if _PARTITIVE.search(prefix):
        return "rule", question  # "evaluation in only one of my three projects" is about that one project
    if _REQUIREMENT_AFTER.match(suffix) or asks:
        return "rule", question
    if states:
        return "own", question
    if question and _RULE_VERB.search(_PRONOUN.split(suffix)[0]):
        return "rule", question  # "can my college degree count toward ...?"
    if _POSSESSIVE.search(prefix) or re.search(r"\b(?:if|suppose|assuming)\s+(?:I|we)\b", prefix, re.I):
        return "own", question
    return "bare", question


def _quantity(m: re.Match[str], text: str, key: str) -> Reading:
    after = _AFTER.match(text[m.end() :])
    word = re.sub(r"\s+", " ", (m.group("word") or "").lower())
    if m.group("lo") or m.group("a"):
        low, high = to_number(m.group("lo") or m.group("a")), to_number(m.group("hi") or m.group("b"))
        low, high = min(low, high), max(low, high)
        return Reading(key=key, value=low, said=low, upper=high, qualifier="range", word=word)
    said = to_number(m.group("n"))
    if re.fullmatch(_BELOW, word):
        step = 1.0 if said.is_integer() else 10 ** -len(m.group("n").split(".")[1])
        return Reading(key=key, value=said - step, said=said, qualifier="below", word=word)
    if re.fullmatch(_OVER, word) or m.group("plus") or (after and after.group("more")):
        return Reading(key=key, value=said, said=said, qualifier="over", word=word or "more than")
    if word or (after and after.group("about")):
        return Reading(key=key, value=said, said=said, qualifier="approximate", word=word or "about")
    return Reading(key=key, value=said, said=said)


def read_facts(message: str) -> list[Reading]:
    """Every fact mention in a message with its stance; the caller decides which ones to take."""
    text = digits(message)
    found: list[tuple[re.Match[str], str, int, int]] = []
    unpaid = list(_UNPAID.finditer(text))
    contact = list(_CONTACT.finditer(text))
    found += [(m, "unpaid_hours", m.start(), m.end()) for m in unpaid]
    found += [(m, "education_hours", m.start(), m.end()) for m in contact]
    found += [
        (m, "paid_hours", m.start(), m.end())
        for m in _HOURS.finditer(text)
        if not any(u.start() <= m.start() < u.end() for u in unpaid + contact)
    ]
    found += [(m, "experience_months", m.start(), m.end()) for m in _MONTHS.finditer(text)]
    years = list(_YEARS.finditer(text)) or list(_YEARS_SIMPLE.finditer(text))
    found += [
        (m, "experience_years", m.start("qty") if "qty" in m.re.groupindex else m.start(), m.end()) for m in years
    ]
    for key, pattern in _COUNTS.items():
        found += [(m, key, m.start(), m.end()) for m in pattern.finditer(text)]
    readings: list[Reading] = []
    for m, key, start, end in found:
        reading = _quantity(m, text, key)
        reading.stance, reading.in_question = _stance(text, start, end)
        reading.start = start
        readings.append(reading)

    none = [(m.start(), m.end()) for m in _NO_EDUCATION.finditer(text)]
    if none:
        stance, question = _stance(text, none[0][0], none[0][1])
        readings.append(Reading(key="education", value="none", stance=stance, in_question=question, start=none[0][0]))
    else:
        levels = [(level, pattern, "exact") for level, pattern in _EDUCATION] + [(*_ANY_DEGREE, "lowest")]
        for level, pattern, qualifier in levels:
            for m in pattern.finditer(text):
                stance, question = _stance(text, m.start(), m.end())
                readings.append(
                    Reading(
                        key="education",
                        value=level,
                        qualifier=qualifier,  # type: ignore[arg-type]
                        stance=stance,
                        in_question=question,
                        start=m.start(),
                    )
                )
    for credential, pattern in _CREDENTIALS.items():
        for m in pattern.finditer(text):
            stance, question = _stance(text, m.start(), m.end())
            readings.append(
                Reading(
                    key=f"credential_{credential}", value=True, stance=stance, in_question=question, start=m.start()
                )
            )
    refused = _ETHICS_NO.search(text)
    ethics = refused or _ETHICS_YES.search(text)
    if ethics:
        agreed = refused is None
        stance, question = _stance(text, ethics.start(), ethics.end())
        readings.append(
            Reading(key="ethics_agreed", value=agreed, stance=stance, in_question=question, start=ethics.start())
        )
    return readings


def take(readings: list[Reading], include_bare: bool) -> list[Reading]:
    """The readings that describe the user: stated as their own, or bare numbers when the message asks
    about their eligibility (``include_bare``) or states something rather than asks. One per fact: the
    first said, except education, where the highest level stated counts (as degree credit does)."""
    kept: dict[str, Reading] = {}
    for r in sorted(readings, key=lambda r: r.start):
        if r.stance == "rule" or (r.stance == "bare" and r.in_question and not include_bare):
            continue
        if r.key not in kept or (r.key == "education" and _rank(r) > _rank(kept[r.key])):
            kept[r.key] = r
    return sorted(kept.values(), key=lambda r: r.start)


def _rank(r: Reading) -> int:
    order = ["none", "high_school", "associate", "bachelor", "advanced"]
    return order.index(str(r.value)) if r.value in order else -1


def extract_facts(text: str, include_bare: bool = True) -> dict[str, Any]:
    """The facts a message states about the user, as the rules engine takes them."""
    return {r.key: r.value for r in take(read_facts(text), include_bare)}


def applicant_values(known: dict[str, Any]) -> dict[str, Any]:
    """The facts gathered in a conversation as ``ApplicantFacts`` fields (``projects`` as a count): months
    become years of experience and each credential mentioned is listed."""
    years = known.get("experience_years")
    if years is None and known.get("experience_months") is not None:
        years = float(known["experience_months"]) / 12
    return {
        "paid_hours": known.get("paid_hours"),
        "education": known.get("education"),
        "ethics_agreed": known.get("ethics_agreed"),
        "experience_years": years,
        "education_hours": known.get("education_hours"),
        "projects": known.get("projects"),
        "credentials": [k.removeprefix("credential_") for k, v in known.items() if k.startswith("credential_") and v],
    }
