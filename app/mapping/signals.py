"""Surface signals that tell described work from claims, read from one sentence at a time.

A reviewer accepts evidence of *work*: someone did something, with people, data or figures. These cues
are deliberately simple and language-level so they hold for any program's standards; the classifier
learns how much each one matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IRREGULAR_PAST = (
    "ran|met|sat|built|wrote|found|took|made|held|led|gave|chose|set|put|spoke|brought|drew|sent|went|saw|"
    "got|began|kept|told|did|had|knew|sought|taught|bought|won|paid|cut|shut|spent|rode|flew|read|heard|"
    "left|lost|brought|fought|thought|caught|ate|became|broke|came|dug|felt|fed|hid|hung|laid|lent|meant|"
    "rebuilt|rewrote|reran|undertook|withdrew|oversaw|understood|stood|split|sold|shook|shot|showed|shown"
)
_ACTION = re.compile(
    rf"\b(?:i|we|my team|our team|the team|they|she|he)\b(?:\s+\w+){{0,3}}?\s+"
    rf"(?:\w{{2,}}ed|{_IRREGULAR_PAST})\b"
    rf"|\b(?:was|were|got)\s+(?:\w+\s+)?(?:\w{{2,}}ed|{_IRREGULAR_PAST})\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"\d|%|\$|€|£|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|thousand|dozen|half|twice|double|doubled|halved|tripled)\b"
    r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|week|weeks|month|months|quarter|year)\b",
    re.IGNORECASE,
)
_PEOPLE = re.compile(
    r"\b(?:manager|managers|supervisor|supervisors|director|directors|vp|ceo|cfo|coo|sponsor|sponsors|"
    r"client|clients|nurses?|agents?|staff|employees?|operators?|technicians?|engineers?|analysts?|"
    r"smes?|experts?|users?|learners?|participants?|drivers?|pharmacists?|tellers?|reps?|"
    r"representatives?|leads?|leaders?|head|chief|coordinator|volunteers?|teachers?|students?|"
    r"customers?|patients?|physicians?|doctors?|mechanics?|crews?|shift|union|committee|board|"
    r"hr|it|finance|department|unit|colleagues?|workers?|trainers?|instructors?|officers?|inspectors?|"
    r"planners?|dispatchers?|cashiers?|chefs?|cooks?|servers?|adjusters?|underwriters?)\b",
    re.IGNORECASE,
)
_DATA = re.compile(
    r"\b(?:surveys?|surveyed|interviews?|interviewed|records?|logs?|logged|reports?|observed|observations?|"
    r"observing|focus groups?|data|spreadsheets?|dashboards?|baseline|audits?|audited|samples?|sampled|"
    r"tickets?|metrics?|figures?|transcripts?|time study|shadowed|shadowing|tracked|tracking|measured|"
    r"counted|compared|comparing|tested|pilot(?:ed)?|trial(?:led)?|"
    r"checklists?|questionnaires?|before and after|control group|mapped|"
    r"walkthroughs?|timed|stopwatch|defects?|errors?|complaints?|incidents?)\b",
    re.IGNORECASE,
)
_GENERIC = re.compile(
    r"\b(?:always|consistently|throughout (?:the|my|every)|in all my|in every project|every project|"
    r"i believe|i ensure|i make sure|my approach|i strive|i am committed|i'm committed|passionate|"
    r"best practices?|holistic(?:ally)?|i value|i focus|i always|i take a|i prioriti[sz]e|i pride|"
    r"i understand the importance|it is important|is essential|is key|i am skilled|i have experience|"
    r"i'm experienced|my philosophy|i'm a firm believer|second nature|core to my)\b",
    re.IGNORECASE,
)
_INJECTION = re.compile(
    r"ignore (?:all |any |your |the |these |previous |prior |above |earlier )*"
    r"(?:instructions|rules|prompts?|guidelines)"
    r"|disregard (?:all |any |your |the |previous |prior )*(?:instructions|rules|criteria)"
    r"|\b(?:mark|rate|score|classify|label|flag|treat)\s+(?:all|every|each|this|these|it|them|the)\b[^.]{0,40}"
    r"\b(?:demonstrated|met|passed|approved|complete|satisfied)\b"
    r"|^\s*(?:system|assistant|ai|grader|reviewer)\s*:"
    r"|note to (?:the )?(?:reviewer|grader|ai|system|model|assistant|checker|tool)"
    r"|\bas an ai\b|\byou are (?:now )?(?:a|an|the) (?:grader|reviewer|assistant|ai|model)"
    r"|\b(?:reviewer|grading|scoring|review) (?:system|bot|tool|ai)\b|\bprompt injection\b",
    re.IGNORECASE,
)
# Past-tense verbs that usually introduce a claim about an approach rather than a described action.
_ABSTRACT_ACTION = re.compile(
    r"\b(?:focused|focussed|ensured|considered|partnered|collaborated|leveraged|prioriti[sz]ed|emphasi[sz]ed|"
    r"aligned|adopted|applied|followed|demonstrated|maintained|embraced|championed|fostered|drove|"
    r"conducted|performed|carried out|identified|undertook|evaluated results|completed|managed|"
    r"took (?:a|an) \w+ (?:view|approach|perspective|stance|lens)|kept \w+ in mind|paid attention|"
    r"worked (?:closely|hard|collaboratively)|strived|sought to|committed|valued|utili[sz]ed)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@dataclass(frozen=True)
class SentenceSignals:
    action: bool
    quantity: bool
    people: bool
    data: bool
    generic: bool
    injection: bool
    words: int

    @property
    def concreteness(self) -> float:
        """0 = a bare claim, 1 = clearly described work (action, people, data and figures)."""
        if self.injection:
            return 0.0
        score = 0.25 * self.action + 0.25 * self.quantity + 0.25 * self.people + 0.25 * self.data
        if self.generic and not (self.quantity or self.action):
            score *= 0.5
        return round(min(score, 1.0), 4)


def _has_concrete_action(text: str) -> bool:
    """An action verb that is not one of the abstract claim verbs ("focused on", "ensured")."""
    return any(not _ABSTRACT_ACTION.search(m.group()) for m in _ACTION.finditer(text)) or bool(
        _ACTION.search(_ABSTRACT_ACTION.sub(" ", text))
    )


def sentence_signals(text: str) -> SentenceSignals:
    return SentenceSignals(
        action=_has_concrete_action(text),
        quantity=bool(_QUANTITY.search(text)),
        people=bool(_PEOPLE.search(text)),
        data=bool(_DATA.search(text)),
        generic=bool(_GENERIC.search(text)),
        injection=bool(_INJECTION.search(text)),
        words=len(_WORD.findall(text)),
    )


def keyword_pattern(keywords: list[str]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive match of any of a standard's naming words (plural-tolerant)."""
    parts = [re.escape(k.strip()).replace(r"\ ", r"[\s-]+") for k in keywords if k.strip()]
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?:s|es|d|ed)?\b", re.I)
