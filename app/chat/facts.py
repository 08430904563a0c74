"""Eligibility facts stated in a message ("1,400 paid hours", "an associate degree", "5 years").

Only what the person said is extracted; nothing is guessed. Facts accumulate over a conversation, so a
follow-up such as "and if I had a bachelor's instead?" changes one fact and keeps the rest.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = r"(\d{1,3}(?:[,\s]\d{3})+|\d+(?:\.\d+)?)"
_HOURS = re.compile(_NUMBER + r"\s*(?:paid\s+|client\s+|billable\s+|work(?:ing)?\s+)*(?:hours?|hrs?)\b", re.I)
_UNPAID = re.compile(_NUMBER + r"\s*(?:unpaid|volunteer|pro[- ]bono)\s*(?:hours?|hrs?)\b", re.I)
_YEARS = re.compile(_NUMBER + r"\s*(?:\+\s*)?(?:years?|yrs?)\b(?:\s+of)?(?:\s+\w+){0,3}?\s+(?:experience|work)", re.I)
_YEARS_SIMPLE = re.compile(
    r"\b(?:for|worked|working|been)\s+(?:\w+\s+){0,3}?" + _NUMBER + r"\s*(?:years?|yrs?)\b", re.I
)
_PROJECTS = re.compile(_NUMBER + r"\s*projects?\b", re.I)
_POINTS = re.compile(_NUMBER + r"\s*(?:recertification\s+)?points?\b", re.I)
_CEUS = re.compile(_NUMBER + r"\s*(?:ceus?|continuing education units?)\b", re.I)
_EDUCATION = [
    ("advanced", re.compile(r"\b(master'?s|masters|mba|ph\.?\s?d|doctorate|graduate degree|advanced degree)\b", re.I)),
    ("bachelor", re.compile(r"\b(bachelor'?s?|ba|bsc?|b\.a\.|b\.s\.|undergraduate degree|college degree)\b", re.I)),
    ("associate", re.compile(r"\b(associate'?s?(?: degree)?|two-year degree)\b", re.I)),
    ("high_school", re.compile(r"\b(high[- ]school|ged|diploma)\b", re.I)),
    ("none", re.compile(r"\b(no (?:degree|diploma)|never finished (?:high )?school|without a diploma)\b", re.I)),
]
_ETHICS_YES = re.compile(r"\b(signed|agreed to|accept(?:ed)?)\b[^.?!]{0,30}\bethic", re.I)
_ETHICS_NO = re.compile(
    r"\b(not|haven'?t|didn'?t|never)\b[^.?!]{0,25}\b(signed|agreed|accept\w*)\b[^.?!]{0,30}ethic", re.I
)


def _number(text: str) -> float:
    return float(re.sub(r"[,\s]", "", text))


def extract_facts(text: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    unpaid = _UNPAID.search(text)
    if unpaid:
        facts["unpaid_hours"] = _number(unpaid.group(1))
    for match in _HOURS.finditer(text):
        if unpaid and match.start() == unpaid.start():
            continue
        facts["paid_hours"] = _number(match.group(1))
        break
    years = _YEARS.search(text) or _YEARS_SIMPLE.search(text)
    if years:
        facts["experience_years"] = _number(years.group(1))
    for key, pattern in (("projects", _PROJECTS), ("points", _POINTS), ("ceus", _CEUS)):
        match = pattern.search(text)
        if match:
            facts[key] = _number(match.group(1))
    for level, pattern in _EDUCATION:
        if pattern.search(text):
            facts["education"] = level
            break
    if _ETHICS_NO.search(text):
        facts["ethics_agreed"] = False
    elif _ETHICS_YES.search(text):
        facts["ethics_agreed"] = True
    return facts
