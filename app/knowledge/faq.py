"""Parse a program's ``faq.md``: prose that staff edit as Markdown, with one metadata line per entry.

Format::

    ## Question text?
    id: some-id | audience: candidate, staff | sources: I1, I8 | as_of: 2020 | confidence: confirmed

    Answer paragraphs...

An uncertain entry adds ``| note: what to check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

META_KEYS = {"id", "audience", "sources", "as_of", "confidence", "note"}


@dataclass
class RawFaq:
    """One entry as written, before schema validation; ``line`` is 1-based."""

    line: int
    data: dict[str, Any]


class FaqSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def parse_faq(text: str) -> list[RawFaq]:
    entries: list[RawFaq] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("## "):
            i += 1
            continue
        question_line = i + 1
        question = line[3:].strip()
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or lines[i].startswith("#"):
            raise FaqSyntaxError(question_line, f"question {question!r} has no metadata line after it")
        meta = _parse_meta(lines[i], i + 1)
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("## "):
            body.append(lines[i])
            i += 1
        answer = re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip()
        provenance = {k: meta.pop(k) for k in ("sources", "as_of", "confidence", "note") if k in meta}
        entries.append(
            RawFaq(
                line=question_line,
                data={**meta, "question": question, "answer": answer, "provenance": provenance},
            )
        )
    return entries


def _parse_meta(line: str, number: int) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for part in line.split("|"):
        key, sep, value = part.partition(":")
        key = key.strip()
        if not sep or not key:
            raise FaqSyntaxError(number, f"metadata part {part.strip()!r} is not `key: value`")
        if key not in META_KEYS:
            raise FaqSyntaxError(number, f"unknown metadata key {key!r} (known: {', '.join(sorted(META_KEYS))})")
        value = value.strip()
        meta[key] = [v.strip() for v in value.split(",") if v.strip()] if key in {"sources", "audience"} else value
    return meta
