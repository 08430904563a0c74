"""Offline answers: sentences lifted from cited passages or engine results, framed by template wording
from ``prompts/chat.yaml``. Roles change which sentences are chosen and how they are framed, never the
facts themselves."""

from __future__ import annotations

import re

from app.chat.models import AnswerSentence, Grounding, Role
from app.retrieval.answer import Citation, _body

_BULLET = re.compile(r"\s+-\s+")
_HEADING = re.compile(r"^[A-Z]{2,}\s+Standard\s+\d+\s+\(S\d+\):\s+[^.]+\.\s*")


def passage_sentences(citation: Citation) -> list[str]:
    """The sentences (or list items) of a passage, without the heading it carries for retrieval."""
    body = _body(citation.text)
    if body.startswith("- ") or (" - " in body and body.count(" - ") >= 2):
        items = [i.strip(" -") for i in _BULLET.split(" " + body) if i.strip(" -")]
        return items
    body = _HEADING.sub("", body)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])", body) if s.strip()]
    substantive = [s for s in sentences if len(s.split()) >= 6]
    return substantive or sentences


def cited(text: str, n: int, prefix: str = "") -> AnswerSentence:
    return AnswerSentence(text=text, grounding=Grounding.passage, cites=[n], prefix=prefix)


def template(text: str) -> AnswerSentence:
    return AnswerSentence(text=text, grounding=Grounding.template)


def engine(text: str, prefix: str = "", cites: list[int] | None = None) -> AnswerSentence:
    return AnswerSentence(text=text, grounding=Grounding.engine, prefix=prefix, cites=cites or [])


def render(sentences: list[AnswerSentence]) -> str:
    parts = []
    for s in sentences:
        marks = "".join(f" [{n}]" for n in s.cites)
        line = f"{s.prefix}{s.text}{marks}"
        parts.append(("\n- " + line) if s.bullet else (("\n\n" if s.paragraph and parts else " ") + line))
    return "".join(parts).strip()


def knowledge_answer(
    role: Role,
    citations: list[Citation],
    t: dict[str, str],
    extra: dict[str, list[int]] | None = None,
    has_standards: bool = True,
) -> list[AnswerSentence]:
    """``extra``: for mentors, citation numbers of a standard's criteria and coaching questions."""
    top = citations[0]
    lead = passage_sentences(top)
    # a second passage close in score often holds the answer when the first is only near it
    second = next(
        (
            (n, c)
            for n, c in enumerate(citations[1:3], start=2)
            if c.title != top.title and c.score >= top.score - 0.08 and c.kind != "criterion"
        ),
        None,
    )
    out: list[AnswerSentence] = []
    if role is Role.staff:
        out.append(cited(lead[0], 1, t["staff_rule_prefix"]))
        if second is not None:
            out.append(cited(passage_sentences(second[1])[0], second[0], t["staff_also_prefix"]))
        elif len(lead) > 1 and len(lead[0].split()) < 14:
            out.append(cited(lead[1], 1))
        if top.confidence == "uncertain" and top.note:
            out.append(cited(top.note, 1, t["staff_uncertain_prefix"]))
        else:
            out.append(template(t["staff_confirmed"]))
        return out
    out.extend(cited(s, 1) for s in lead[:2])
    if top.confidence == "uncertain" and top.note:
        out.append(cited(top.note, 1, t["uncertain_prefix"]))
    if role is Role.mentor:
        extra = extra or {}
        criteria = extra.get("criteria", [])
        if criteria:
            out.append(AnswerSentence(text=t["mentor_look_for"], grounding=Grounding.template, paragraph=True))
            for n in criteria:
                out.append(
                    AnswerSentence(
                        text=passage_sentences(citations[n - 1])[0], grounding=Grounding.passage, cites=[n], bullet=True
                    )
                )
        questions = extra.get("questions", [])
        if questions:
            out.append(AnswerSentence(text=t["mentor_questions"], grounding=Grounding.template, paragraph=True))
            for n in questions:
                for q in passage_sentences(citations[n - 1])[:3]:
                    out.append(AnswerSentence(text=q, grounding=Grounding.passage, cites=[n], bullet=True))
        if not criteria and not questions:
            if second is not None:
                out.append(cited(passage_sentences(second[1])[0], second[0]))
            out.append(AnswerSentence(text=t["mentor_generic"], grounding=Grounding.template, paragraph=True))
        return out
    if second is not None:
        n, c = second
        out.append(cited(passage_sentences(c)[0], n))
    related = [(n, c.title) for n, c in enumerate(citations[1:3], start=2) if c.title != top.title]
    if related:
        out.append(
            AnswerSentence(
                text=t["see_also"].format(titles="; ".join(title for _, title in related)),
                grounding=Grounding.template,
                cites=[n for n, _ in related],
                paragraph=True,
            )
        )
    out.append(
        AnswerSentence(
            text=t["candidate_next"] if has_standards else t["candidate_next_no_standards"],
            grounding=Grounding.template,
            paragraph=True,
        )
    )
    return out
