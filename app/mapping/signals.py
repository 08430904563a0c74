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
# Work still to come: intentions, proposals, schedules. A plan agreed in the past ("we agreed the
# figures would be checked in June") is reported work and is not matched: the pattern wants the
# future or an intention in the narrator's own present.
_PLANNED = re.compile(
    r"\b(?:will|shall|won't|going to|plan(?:s|ning)? to|intends? to|intending to|aims? to|hopes? to|"
    r"would like to|want(?:s)? to|wish to|expects? to|propose to|next steps?|next (?:year|quarter|month|phase)|"
    r"in the future|(?:is|are|has been|have been) (?:scheduled|planned|proposed|due)|still to be|yet to|"
    r"not yet|has not (?:yet )?been|have not (?:yet )?been|to be (?:done|run|held|measured|evaluated|tested))\b"
    r"|'ll\b",
    re.IGNORECASE,
)
# The narrator watching, attending or receiving someone else's work.
_RECEIVED = re.compile(
    r"\b(?:i|we)\s+(?:only\s+|just\s+|also\s+)?(?:attended|watched|sat in|listened|was told|were told|"
    r"was shown|were shown|was given|were given|received|"
    r"got (?:a|the|their|his|her) (?:report|results|findings|slides)|"
    r"read (?:their|his|her|the consultant's)|was copied|were copied|was invited|were invited)\b"
    r"|\b(?:told|showed|gave|handed|sent|presented)\s+(?:me|us)\b"
    r"|\b(?:had already|already had)\s+(?:\w+\s+)?(?:run|done|completed|conducted|analy[sz]ed|surveyed|mapped|"
    r"measured|tested|built|designed|collected|interviewed|identified)\b"
    r"|(?<!our )(?<!my )\b(?!(?:our|my)\b)\w+'s (?:[\w-]+ ){0,2}(?:evaluation|analysis|survey|study|audit|review|"
    r"report|"
    r"findings) (?:showed|found|revealed|concluded|said)\b",
    re.IGNORECASE,
)
# A third party named as the doer: in a first-person narrative, their work is not the narrator's.
_THIRD_PARTY = re.compile(
    r"\b(?:the|a|an|our|my|their|an external|outside|another)\s+(?:external\s+|outside\s+|hired\s+|new\s+)?"
    r"(?:consultants?|consultancy|vendor|contractor|agency|firm|auditors?|predecessor|colleague|boss|"
    r"manager|director|hr (?:team|department)|it (?:team|department)|finance (?:team|department)|head office|"
    r"corporate (?:team|office)|quality team|other team|analytics team|training department|"
    r"university|researchers?)\b(?:\s+\w+){0,4}?\s+(?:had\s+)?(?:\w{3,}ed|ran|did|built|wrote|found|made|led|"
    r"took|drew|set)\b",
    re.IGNORECASE,
)
# Someone else as the subject of the sentence ("A year later, two analysts from head office rebuilt the
# model"): a role the narrator does not hold, then the first verb. Checking, approving or talking about the
# narrator's work (_NOT_DOING) leaves the work the narrator's.
_OTHER_SUBJECT = re.compile(
    r"^\s*(?:[^,.;]{1,40},\s*|(?:[\w-]+\s+){1,3}later\s+)?(?:the|a|an|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|twenty|thirty|forty|fifty|several|some|many|my|our|their|his|her|its|another|other|"
    r"outside|external|\d+)\s+(?:[\w'-]+\s+){0,3}?(?:analysts?|consultants?|consultancy|coordinators?|"
    r"board members?|members|researchers?|auditors?|contractors?|vendors?|specialists?|facilitators?|"
    r"predecessors?|colleagues?|boss|experts?|statisticians?|designers?|developers?|engineers?)\b"
    r"(?:\s+[\w'-]+){0,6}?\s+(?:had\s+|also\s+|then\s+)?(?P<verb>\w{3,}ed|spent|ran|did|built|wrote|found|made|"
    r"led|took|drew|set|held|sent|gave|chose|began|undertook|oversaw|rebuilt|rewrote|redesigned)\b",
    re.IGNORECASE,
)
_NOT_DOING = frozenset(
    "checked reviewed confirmed validated approved verified signed corrected estimated reported explained "
    "mentioned complained agreed asked insisted declined refused pushed wanted needed liked preferred noted "
    "described admitted suggested recommended warned objected argued worried claimed stated answered replied "
    "commented raised accepted rejected".split()
)
# A text that names its narrator in the third person ("The applicant sat on the steering committee"): the
# applicant, not whoever else the text describes, is the actor.
_NARRATOR_NAMED = re.compile(r"\b(?:the|our) (?:applicant|candidate)\b", re.IGNORECASE)
_CONTINUED = re.compile(r"\s*(?:he|she|they|his|her|their)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:i|we|my|our|me|us)\b", re.IGNORECASE)
_FIRST_PERSON_DOER = re.compile(
    rf"\b(?:i|we|my team|our team)\b(?:\s+\w+){{0,2}}?\s+(?:\w{{2,}}ed|{_IRREGULAR_PAST})\b", re.IGNORECASE
)


@dataclass(frozen=True)
class SentenceSignals:
    action: bool
    quantity: bool
    people: bool
    data: bool
    generic: bool
    injection: bool
    words: int
    planned: bool = False
    received: bool = False  # the narrator watched or was handed the work
    third_party: bool = False  # someone else named as doing the work
    first_person: bool = False
    first_person_doer: bool = False

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


def _other_subject(text: str) -> bool:
    match = _OTHER_SUBJECT.search(text)
    return bool(match) and match.group("verb").lower() not in _NOT_DOING


def sentence_signals(text: str) -> SentenceSignals:
    return SentenceSignals(
        action=_has_concrete_action(text),
        quantity=bool(_QUANTITY.search(text)),
        people=bool(_PEOPLE.search(text)),
        data=bool(_DATA.search(text)),
        generic=bool(_GENERIC.search(text)),
        injection=bool(_INJECTION.search(text)),
        words=len(_WORD.findall(text)),
        planned=bool(_PLANNED.search(text)),
        received=bool(_RECEIVED.search(text)),
        third_party=bool(_THIRD_PARTY.search(text)) or _other_subject(text),
        first_person=bool(_FIRST_PERSON.search(text)),
        first_person_doer=bool(_FIRST_PERSON_DOER.search(text)),
    )


def keyword_pattern(keywords: list[str]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive match of any of a standard's naming words (plural-tolerant)."""
    parts = [re.escape(k.strip()).replace(r"\ ", r"[\s-]+") for k in keywords if k.strip()]
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?:s|es|d|ed)?\b", re.I)


def own_work(sentences: list[str], signals: list[SentenceSignals] | None = None) -> list[bool]:
    """Which sentences report the author's own, done work: not a plan, and, in a text told in the first
    person or naming "the applicant", not someone else's work the author watched or was handed. In a
    third-person case summary the team described is the actor, so a third party named there is not set
    aside. ``signals``: the sentences' signals when the caller has them already."""
    if signals is None:
        signals = [sentence_signals(s) for s in sentences]
    first_person = bool(signals) and sum(s.first_person for s in signals) / len(signals) >= 0.3
    narrator_told = first_person or any(_NARRATOR_NAMED.search(text) for text in sentences)
    out: list[bool] = []
    others = False  # the previous sentence told someone else's work: "She ..." goes on with it
    for text, s in zip(sentences, signals, strict=True):
        continued = others and bool(_CONTINUED.match(text)) and not s.first_person_doer
        others = narrator_told and (s.received or (s.third_party and not s.first_person_doer) or continued)
        out.append(not (s.planned or others))
    return out
