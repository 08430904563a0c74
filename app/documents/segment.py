"""Paragraphs and sentences with character offsets into the original text.

Offsets always point into the exact string given, so evidence quotes can be highlighted in the UI and
checked by tests (``text[start:end] == quote``).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
# A sentence ends at . ! ? (optionally followed by quotes/brackets) and whitespace, or at a line break
# that starts a list item or table row. Common abbreviations do not end a sentence.
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)|\n(?=\s*(?:[-*•]|\d+[.)]|\|)\s)")
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "inc",
    "ltd",
    "co",
    "no",
    "approx",
    "st",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "fig",
    "dept",
    "a.m",
    "p.m",
}
MAX_SENTENCE_CHARS = 600


class Sentence(BaseModel):
    text: str
    start: int
    end: int
    paragraph: int


class Paragraph(BaseModel):
    index: int
    start: int
    end: int


class Segmented(BaseModel):
    text: str
    paragraphs: list[Paragraph]
    sentences: list[Sentence]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Very long run-ons (no punctuation) are cut at commas or spaces so no sentence overwhelms the model."""
    spans = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text[start : start + MAX_SENTENCE_CHARS]
        cut = max(window.rfind(", "), window.rfind("; "))
        if cut < MAX_SENTENCE_CHARS // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = MAX_SENTENCE_CHARS - 1
        spans.append(_strip_span(text, start, start + cut + 1))
        start = start + cut + 1
    spans.append(_strip_span(text, start, end))
    return [s for s in spans if s[1] > s[0]]


def _sentences_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        stop = match.end()
        if match.group().startswith((".",)) and len(match.group()) == 1:
            word = re.search(r"([A-Za-z.]+)$", text[cursor : match.start()])
            if word and (word.group(1).lower().rstrip(".") in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        span = _strip_span(text, cursor, stop)
        if span[1] > span[0]:
            spans.extend(_split_long(text, *span))
        cursor = stop
    span = _strip_span(text, cursor, end)
    if span[1] > span[0]:
        spans.extend(_split_long(text, *span))
    return spans


def segment(text: str) -> Segmented:
    paragraphs: list[Paragraph] = []
    sentences: list[Sentence] = []
    cursor = 0
    bounds = [(m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text)] + [(len(text), len(text))]
    for brk_start, brk_end in bounds:
        start, end = _strip_span(text, cursor, brk_start)
        cursor = brk_end
        if end <= start:
            continue
        index = len(paragraphs)
        paragraphs.append(Paragraph(index=index, start=start, end=end))
        for s_start, s_end in _sentences_in(text, start, end):
            if re.search(r"\w", text[s_start:s_end]):
                sentences.append(Sentence(text=text[s_start:s_end], start=s_start, end=s_end, paragraph=index))
    return Segmented(text=text, paragraphs=paragraphs, sentences=sentences)
