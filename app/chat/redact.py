"""Redaction before text leaves the machine: emails, phone numbers and people's names become
placeholders. Applied to the user's words and narrative quotes, never needed for the public knowledge."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<!\w)(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{3,4}[\s.-]\d{3,4}(?:[\s.-]\d{2,4})?(?!\w)")
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_HONORIFIC = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+{_NAME}(?:\s+{_NAME})?")
_ROLE_NAME = re.compile(
    rf"\b((?:my |our |the )?(?:client|customer|patient|manager|supervisor|colleague|boss|director|sponsor|"
    rf"owner|mentee|attester)s?,?\s+)({_NAME}(?:\s+{_NAME})?)"
)
_ROLES = (
    r"client|customer|patient|manager|supervisor|colleague|boss|director|sponsor|owner|mentee|attester|lead|head|"
    r"officer|chief|president|coordinator|consultant|partner|founder"
)
# "Dana Whitfield, the operations manager": a name in apposition to a role, even at a sentence's start
_NAME_ROLE = re.compile(
    rf"\b{_NAME}\s+{_NAME}(?=,\s+(?:the|our|my|their|a|an|its)\s+(?:[\w-]+\s+){{0,2}}(?:{_ROLES})s?\b)"
)
_FULL_NAME = re.compile(rf"(?<![.!?]\s)(?<!^)\b({_NAME}\s+{_NAME})\b")


def redact(text: str, keep: set[str] | None = None) -> str:
    """``keep``: capitalised terms that are not names (program names, standard titles)."""
    keep = {k.lower() for k in (keep or set())}
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 7 else m.group(), text)
    text = _HONORIFIC.sub("[name]", text)
    text = _ROLE_NAME.sub(lambda m: m.group(1) + "[name]", text)
    text = _NAME_ROLE.sub("[name]", text)

    def full(match: re.Match) -> str:
        words = match.group(1)
        if words.lower() in keep or any(w.lower() in keep for w in words.split()):
            return words
        return "[name]"

    return _FULL_NAME.sub(full, text)
