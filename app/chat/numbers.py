"""Numbers as people write them: "two", "fifteen hundred", "a dozen", "a couple of", "1.5k", "2 and a half".

``digits`` rewrites them as digits so that one pattern per fact reads "4 years" and "four years" alike;
``NUMBER`` is the pattern for a number once rewritten, and ``to_number`` its value. This is English
vocabulary, not program knowledge: nothing here depends on a program's rules.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000}
_WORD = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
# "fifteen hundred", "one thousand five hundred and fifty", "twenty-five", "a hundred"
_WORDS = re.compile(
    rf"\b(?:an?\s+(?=(?:hundred|thousand)\b))?(?:{_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{_WORD}))*\b", re.IGNORECASE
)
_AND = re.compile(r"(?<!hundred)(?<!thousand)\s+and\s+", re.IGNORECASE)  # "and" joins only after a scale
_IDIOMS = [
    (re.compile(r"\bhalf\s+a\s+dozen\b", re.I), "6"),
    (re.compile(r"\ba\s+dozen\b", re.I), "12"),
    (re.compile(r"\ba\s+couple(?:\s+of)?\b", re.I), "2"),
]
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALED = re.compile(rf"({NUMBER})(?:\s?k\b|\s+(hundred|thousand)\b)", re.IGNORECASE)
_HALF = re.compile(rf"({NUMBER})\s+and\s+a\s+half\b", re.IGNORECASE)


def to_number(text: str) -> float:
    return float(text.replace(",", ""))


def _words_value(phrase: str) -> int:
    total = current = 0
    for word in re.split(r"[\s-]+", phrase.lower()):
        if word in ("and", "a", "an", ""):
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        else:  # thousand
            total += (current or 1) * 1000
            current = 0
    return total + current


def _show(value: float) -> str:
    return f"{value:g}" if value < 1e6 else str(int(value))


def digits(text: str) -> str:
    """``text`` with every written-out number as digits ("two projects" -> "2 projects")."""
    for pattern, value in _IDIOMS:
        text = pattern.sub(value, text)
    text = _SCALED.sub(
        lambda m: _show(to_number(m.group(1)) * (100 if (m.group(2) or "").lower() == "hundred" else 1000)), text
    )
    text = _WORDS.sub(lambda m: " and ".join(str(_words_value(p)) for p in _AND.split(m.group(0))), text)
    return _HALF.sub(lambda m: _show(to_number(m.group(1)) + 0.5), text)


def show(value: float) -> str:
    """A number as the answers write it: 1,500 and 2.5, never 1500.0."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
