"""Turn the knowledge base into retrieval chunks that follow its own structure.

One chunk is one thing a person would cite: a standard's summary, one criterion, one ethics principle,
one rule, one exam domain, one FAQ answer. Each stays under the model's 256 word-piece window (longer
entries are split on sentence boundaries) and carries the metadata retrieval filters on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.knowledge.schema import KnowledgeBase, Parameter, Provenance, Rule, RuleKind

# Leave room for the query-side special tokens and tokenizer drift between versions.
CHUNK_WORD_PIECES = 240

CHUNK_KINDS = ("about", "standard", "criterion", "ethics", "eligibility", "exam", "recertification", "faq")

# `application` rules (attestations, review) answer eligibility questions, so they share that kind.
_RULE_KIND = {
    RuleKind.about: "about",
    RuleKind.eligibility: "eligibility",
    RuleKind.application: "eligibility",
    RuleKind.exam: "exam",
    RuleKind.recertification: "recertification",
}


@dataclass
class Chunk:
    id: str
    text: str
    program: str
    kind: str
    title: str
    ref: str
    sources: list[str]
    confidence: str
    as_of: str
    standard: str = ""
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        payload = "\x1f".join(
            [
                self.text,
                self.kind,
                self.title,
                ",".join(self.sources),
                self.confidence,
                self.as_of,
                self.standard,
                self.note,
                repr(sorted(self.extra.items())),
            ]
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @property
    def metadata(self) -> dict[str, str]:
        """Flat metadata for Chroma (scalars only)."""
        return {
            "program": self.program,
            "kind": self.kind,
            "title": self.title,
            "ref": self.ref,
            "source": self.sources[0],
            "sources": ",".join(self.sources),
            "confidence": self.confidence,
            "as_of": self.as_of,
            "standard": self.standard,
            "note": self.note,
            "hash": self.content_hash,
            **self.extra,
        }


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s]


def _pack(head: str, parts: list[str], count: Callable[[str], int], limit: int) -> list[str]:
    """Greedily pack parts after a heading; split into several texts when over the limit."""
    pieces: list[str] = []
    for part in parts:
        pieces += [part] if count(part) < limit // 2 else _sentences(part)
    texts, current = [], head
    for piece in pieces:
        candidate = f"{current} {piece}".strip()
        if count(candidate) > limit and current != head:
            texts.append(current)
            candidate = f"{head} {piece}"
        current = candidate
    texts.append(current)
    return texts


def _parameter_lines(param: Parameter) -> list[str]:
    if param.versions:
        lines = [f"{param.title} changed over time; the rule applied is the one in force on the application date."]
        for version in param.versions:
            confidence = version.provenance.confidence.value
            lines.append(f"{version.description.rstrip('.')} (in force {version.period}; {confidence}).")
        return lines
    if not param.options:
        return []
    lines = [f"Sources disagree on {param.title.lower()}."]
    for option in param.options:
        state = "in force" if option.id == param.active else "alternative"
        lines.append(f"{option.description} ({state}; {option.provenance.confidence.value}).")
    return lines


def _rule_provenance(rule: Rule) -> tuple[str, str]:
    """A rule is uncertain if it says so or any of its parameters is uncertain."""
    notes = [rule.provenance.note] if rule.provenance.note else []
    uncertain = rule.provenance.confidence.value == "uncertain"
    for param in rule.parameters:
        if param.uncertain:
            uncertain = True
            provenances = [param.current_provenance] + [o.provenance for o in (*param.options, *param.versions)]
            for note in (p.note for p in provenances if p.note):
                if note not in notes:
                    notes.append(note)
            if param.options and not any(p.note for p in provenances):
                notes.append(f"Sources disagree on {param.title.lower()}.")
    return ("uncertain" if uncertain else "confirmed"), " ".join(notes)


def build_chunks(kb: KnowledgeBase, count: Callable[[str], int], limit: int = CHUNK_WORD_PIECES) -> list[Chunk]:
    """All chunks of one program; ``count`` returns word pieces for a text (the model's tokenizer)."""
    program = kb.program
    p = program.short_name
    chunks: list[Chunk] = []

    def add(
        cid: str,
        kind: str,
        title: str,
        head: str,
        parts: Iterable[str],
        prov: Provenance,
        standard: str = "",
        confidence: str | None = None,
        note: str | None = None,
        **extra: str,
    ) -> None:
        texts = _pack(head, [x for x in parts if x], count, limit)
        for i, text in enumerate(texts):
            chunks.append(
                Chunk(
                    id=f"{program.id}:{cid}" + (f"#{i + 1}" if len(texts) > 1 else ""),
                    text=text,
                    program=program.id,
                    kind=kind,
                    title=title,
                    ref=cid,
                    sources=prov.sources,
                    confidence=confidence or prov.confidence.value,
                    as_of=prov.as_of,
                    standard=standard,
                    note=note if note is not None else (prov.note or ""),
                    extra=dict(extra),
                )
            )

    add(
        "about",
        "about",
        f"{program.name} ({p})",
        f"{p}: {program.name}, awarded by {program.body}.",
        [program.summary],
        program.provenance,
    )

    for s in kb.standards:
        label = f"{p} Standard {s.number} ({s.id}): {s.title}."
        title = f"Standard {s.number}: {s.title}"
        original = f"Before 2013 it read: {s.original_title}." if s.original_title else ""
        add(
            f"{s.id}",
            "standard",
            title,
            label,
            [f"One of the {s.group.value} standards.", s.summary, original],
            s.provenance,
            s.id,
        )
        g = s.guidance_provenance
        for c in s.criteria:
            add(
                f"{c.id}",
                "criterion",
                f"{title}: criterion {c.id.split('.')[-1]}",
                f"{label} A reviewer looks for this:",
                [c.text],
                g,
                s.id,
            )
        add(
            f"{s.id}.evidence",
            "standard",
            f"{title}: evidence",
            f"{label} Evidence that demonstrates it:",
            [f"- {e}" for e in s.evidence],
            g,
            s.id,
        )
        add(
            f"{s.id}.weaknesses",
            "standard",
            f"{title}: common weaknesses",
            f"{label} Common weaknesses in narratives:",
            [f"- {w}" for w in s.weaknesses],
            g,
            s.id,
        )
        add(
            f"{s.id}.examples",
            "standard",
            f"{title}: examples of strong evidence",
            f"{label} Examples of strong evidence:",
            [f"- {x}" for x in s.examples],
            g,
            s.id,
        )
        if s.coaching_questions:
            add(
                f"{s.id}.questions",
                "standard",
                f"{title}: coaching questions",
                f"{label} Questions a mentor can ask:",
                [f"- {q}" for q in s.coaching_questions],
                g,
                s.id,
            )

    if kb.ethics:
        e = kb.ethics
        add("ethics", "ethics", e.title, f"{p} {e.title}.", [e.preamble], e.provenance)
        for principle in e.principles:
            add(
                f"ethics.{principle.id}",
                "ethics",
                f"{e.title}: {principle.name}",
                f"{p} {e.title}, principle: {principle.name}.",
                [principle.summary, *[f"- {a}" for a in principle.asks]],
                principle.provenance,
            )

    for rule in kb.rules:
        confidence, note = _rule_provenance(rule)
        params = [line for param in rule.parameters for line in _parameter_lines(param)]
        add(
            f"rule.{rule.id}",
            _RULE_KIND[rule.kind],
            rule.title,
            f"{p}: {rule.title}.",
            [rule.text, *[f"- {d}" for d in rule.details], *params],
            rule.provenance,
            confidence=confidence,
            note=note,
        )

    if kb.exam:
        ex = kb.exam
        add("exam", "exam", ex.title, f"{p} {ex.title}.", [ex.summary], ex.domains[0].provenance)
        for d in ex.domains:
            add(
                f"exam.{d.id}",
                "exam",
                f"Exam domain: {d.name} ({d.weight:g}%)",
                f"{p} exam content domain {d.id}: {d.name}, {d.weight:g}% of the scored questions.",
                [d.description],
                d.provenance,
            )

    for entry in kb.faq:
        add(
            f"faq.{entry.id}",
            "faq",
            entry.question,
            f"{p} FAQ. Q: {entry.question} A:",
            [entry.answer],
            entry.provenance,
            audience=",".join(entry.audience),
        )
    return chunks
