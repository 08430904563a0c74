"""Checks that keep answers honest: generated answers may only cite what was retrieved, and every
sentence of an offline answer must be traceable to a cited passage, an engine result, or template wording."""

from __future__ import annotations

import re

from app.chat.models import Grounding, Reply

_MARK = re.compile(r"\[(\d+)\]")


def validate_citations(text: str, n_citations: int) -> str | None:
    """None when every [n] refers to a retrieved passage and at least one is cited; else the reason."""
    marks = [int(m) for m in _MARK.findall(text)]
    if not marks:
        return "the answer cites no passage"
    bad = sorted({m for m in marks if not 1 <= m <= n_citations})
    if bad:
        return f"the answer cites passages that were not retrieved: {', '.join(f'[{m}]' for m in bad)}"
    return None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def unfaithful_sentences(reply: Reply, engine_facts: list[str]) -> list[str]:
    """Sentences of an offline reply that are not supported by what they claim to rest on."""
    problems = []
    facts = [_norm(f) for f in engine_facts]
    for sentence in reply.sentences:
        text = _norm(sentence.text)
        if sentence.grounding is Grounding.passage:
            if not sentence.cites:
                problems.append(f"uncited: {sentence.text}")
                continue
            for n in sentence.cites:
                if not 1 <= n <= len(reply.citations):
                    problems.append(f"cites [{n}], which was not retrieved: {sentence.text}")
                    continue
                source = reply.citations[n - 1]
                if text not in _norm(source.text + " " + (source.note or "")):
                    problems.append(f"not in passage [{n}]: {sentence.text}")
        elif sentence.grounding is Grounding.engine and not any(text in f for f in facts):
            problems.append(f"not an engine result: {sentence.text}")
    return problems
