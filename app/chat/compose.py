"""Offline answers: sentences lifted from cited passages or engine results, framed by template wording
from ``prompts/chat.yaml``. Roles change which sentences are chosen and how they are framed, never the
facts themselves."""

from __future__ import annotations

import re

from app.chat.facts import Reading
from app.chat.models import AnswerSentence, Grounding, Role
from app.chat.numbers import show
from app.retrieval.answer import Citation, passage_body

_BULLET = re.compile(r"\s+-\s+")
_HEADING = re.compile(r"^[A-Z]{2,}\s+Standard\s+\d+\s+\(S\d+\):\s+[^.]+\.\s*")


def passage_sentences(citation: Citation) -> list[str]:
    """The sentences (or list items) of a passage, without the heading it carries for retrieval."""
    body = passage_body(citation.text)
    if body.startswith("- ") or (" - " in body and body.count(" - ") >= 2):
        items = [i.strip(" -") for i in _BULLET.split(" " + body) if i.strip(" -")]
        return items
    body = _HEADING.sub("", body)
    # a rule's passage opens with "CPO: <its title>." for retrieval; the answer starts after it
    body = re.sub(rf"^[A-Z][A-Za-z0-9]*: {re.escape(citation.title)}\.\s+", "", body)
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


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def uncertain_notes(
    role: Role, citations: list[Citation], sentences: list[AnswerSentence], t: dict[str, str]
) -> list[AnswerSentence]:
    """One sentence per provenance note of the uncertain passages the answer cites, saying which passage
    it is about when it is not the first: no cited passage's doubt goes unsaid."""
    used: list[int] = []
    for s in sentences:
        used += [n for n in s.cites if n not in used and 1 <= n <= len(citations)]
    notes: dict[str, list[int]] = {}
    for n in used:
        c = citations[n - 1]
        if c.confidence == "uncertain" and c.note:
            notes.setdefault(c.note, []).append(n)
    staff = role is Role.staff
    out = []
    for note, numbers in notes.items():
        if 1 in numbers:
            prefix = t["staff_uncertain_prefix" if staff else "uncertain_prefix"]
        else:
            key = "staff_uncertain_named_prefix" if staff else "uncertain_named_prefix"
            prefix = t[key].format(title=citations[numbers[0] - 1].title)
        out.append(AnswerSentence(text=note, grounding=Grounding.passage, cites=numbers, prefix=prefix))
    return out


def closing(
    role: Role, citations: list[Citation], sentences: list[AnswerSentence], t: dict[str, str], unanswered: bool = False
) -> list[AnswerSentence]:
    """The confidence sentences: "confirmed" (staff) only when every cited passage is confirmed, and then,
    for a yes/no question no passage answers directly (``unanswered``), that the passages are confirmed
    but do not settle the case."""
    notes = uncertain_notes(role, citations, sentences, t)
    if notes or role is not Role.staff:
        return notes
    return [template(t["staff_confirmed_not_answered" if unanswered else "staff_confirmed"])]


def knowledge_answer(
    role: Role,
    citations: list[Citation],
    t: dict[str, str],
    extra: dict[str, list[int]] | None = None,
    has_standards: bool = True,
    direct: list[AnswerSentence] | None = None,
    related_margin: float = 0.08,
    unanswered: bool = False,
) -> list[AnswerSentence]:
    """``extra``: for mentors, citation numbers of a standard's criteria and coaching questions.
    ``direct``: a direct answer to lead with (its cites number into ``citations``); the cited support
    follows, without repeating what the direct answer already said. ``related_margin``: the setting
    ``answer_related_margin``. ``unanswered``: a yes/no question with no direct answer."""
    direct = direct or []
    said = " ".join(_norm(s.text) for s in direct)
    top = citations[0]
    lead = [s for s in passage_sentences(top) if _norm(s) not in said]
    # a second passage close in score often holds the answer when the first is only near it
    second = next(
        (
            (n, c)
            for n, c in enumerate(citations[1:3], start=2)
            if c.title != top.title and c.score >= top.score - related_margin and c.kind != "criterion"
        ),
        None,
    )
    if second is not None and _norm(passage_sentences(second[1])[0]) in said:
        second = None
    out: list[AnswerSentence] = list(direct)
    if role is Role.staff:
        if lead:
            out.append(cited(lead[0], 1, t["staff_rule_prefix"]))
        if second is not None:
            out.append(cited(passage_sentences(second[1])[0], second[0], t["staff_also_prefix"]))
        elif len(lead) > 1 and len(lead[0].split()) < 14:
            out.append(cited(lead[1], 1))
        return out + closing(role, citations, out, t, unanswered)
    out.extend(cited(s, 1) for s in lead[:2])
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
            out += closing(role, citations, out, t)
            out.append(AnswerSentence(text=t["mentor_generic"], grounding=Grounding.template, paragraph=True))
            return out
        notes = closing(role, citations, out, t)
        if notes:
            notes[0].paragraph = True
        return out + notes
    if second is not None:
        n, c = second
        out.append(cited(passage_sentences(c)[0], n))
    related = [(n, related_title(c)) for n, c in enumerate(citations[1:3], start=2) if c.title != top.title]
    see_also = (
        [
            AnswerSentence(
                text=t["see_also"].format(titles="; ".join(title for _, title in related)),
                grounding=Grounding.template,
                cites=[n for n, _ in related],
                paragraph=True,
            )
        ]
        if related
        else []
    )
    out += closing(role, citations, out + see_also, t) + see_also
    out.append(
        AnswerSentence(
            text=t["candidate_next"] if has_standards else t["candidate_next_no_standards"],
            grounding=Grounding.template,
            paragraph=True,
        )
    )
    return out


def describe_fact(t: dict[str, str], key: str, value: object, reading: Reading | None = None) -> str:
    """A fact as the eligibility answer repeats it, saying how it was read when it was not exact."""
    if isinstance(value, bool):
        return t[f"fact_{key}_{str(value).lower()}"]
    if isinstance(value, str):
        fact = t.get(f"fact_{key}_{value}", value.replace("_", " "))
        return t["fact_lowest"].format(fact=fact) if reading and reading.qualifier == "lowest" else fact
    template_ = t.get(f"fact_{key}", "{value} " + key.replace("_", " "))
    if value == 1 and (reading is None or reading.qualifier == "exact"):
        template_ = t.get(f"fact_{key}_one", template_)
    if reading is None or reading.qualifier == "exact":
        return template_.format(value=show(float(value)))  # type: ignore[arg-type]
    said = show(reading.said if reading.said is not None else float(value))  # type: ignore[arg-type]
    shown = f"{said}–{show(reading.upper)}" if reading.upper is not None else f"{reading.word} {said}".strip()
    return t[f"fact_{reading.qualifier}"].format(
        fact=template_.format(value=shown),
        said=said,
        used=show(float(value)),  # type: ignore[arg-type]
    )


def related_title(citation: Citation, words: int = 10) -> str:
    """How a 'see also' names a passage: its title in quotes, and for a criterion what it asks for (a bare
    'criterion 4' says nothing to a reader)."""
    title = citation.title.strip()
    if citation.kind == "criterion":
        asks = citation.text.split("looks for this:", 1)[-1].split()
        title += ": " + " ".join(asks[:words]).rstrip(".,;:") + ("…" if len(asks) > words else "")
    return f"“{title}”"
