"""Where a cited passage lives in the knowledge base, so a citation can open the Knowledge browser there.

A chunk id is ``program:ref`` (``#n`` for the n-th piece of a long entry); the ref names the entry:
``S6``, ``S6.C2``, ``S6.questions``, ``rule.degree-credit``, ``exam.D4``, ``ethics.honesty``,
``faq.volunteer-hours``, ``about``.
"""

from __future__ import annotations

from pydantic import BaseModel

from app.knowledge.schema import KnowledgeBase, Provenance

TABS = ["Rules", "Standards", "Exam", "Code of ethics", "FAQ", "Sources"]


class Located(BaseModel):
    ref: str
    tab: str
    title: str
    text: str
    sources: list[str]
    confidence: str
    note: str | None = None
    standard: str | None = None
    criterion: str | None = None


def ref_of(chunk_id: str) -> str:
    return chunk_id.split(":", 1)[-1].split("#", 1)[0]


def locate(kb: KnowledgeBase, chunk_id: str) -> Located | None:
    """The entry a chunk was cut from, or None when the id names nothing in this program."""
    ref = ref_of(chunk_id)
    head, _, rest = ref.partition(".")

    def found(tab: str, title: str, text: str, prov: Provenance, **extra) -> Located:
        return Located(
            ref=ref,
            tab=tab,
            title=title,
            text=text,
            sources=list(prov.sources),
            confidence=prov.confidence.value,
            note=prov.note,
            **extra,
        )

    if ref == "about":
        return found("Sources", kb.program.name, kb.program.summary, kb.program.provenance)
    if head == "rule":
        rule = next((r for r in kb.rules if r.id == rest), None)
        return found("Rules", rule.title, rule.text, rule.provenance) if rule else None
    if head == "exam" and kb.exam:
        if not rest:
            return found("Exam", kb.exam.title, kb.exam.summary, kb.exam.domains[0].provenance)
        domain = next((d for d in kb.exam.domains if d.id == rest), None)
        if domain:
            return found("Exam", f"{domain.name} ({domain.weight:g}%)", domain.description, domain.provenance)
        return None
    if head == "ethics" and kb.ethics:
        if not rest:
            return found("Code of ethics", kb.ethics.title, kb.ethics.preamble, kb.ethics.provenance)
        principle = next((p for p in kb.ethics.principles if p.id == rest), None)
        return found("Code of ethics", principle.name, principle.summary, principle.provenance) if principle else None
    if head == "faq":
        entry = next((f for f in kb.faq if f.id == rest), None)
        return found("FAQ", entry.question, entry.answer, entry.provenance) if entry else None
    standard = next((s for s in kb.standards if s.id == head), None)
    if standard is None:
        return None
    title = f"{standard.id} {standard.title}"
    criterion = next((c for c in standard.criteria if c.id == ref), None)
    if criterion:
        return found(
            "Standards",
            f"{title}, criterion {rest}",
            criterion.text,
            standard.guidance_provenance,
            standard=standard.id,
            criterion=criterion.id,
        )
    parts = {
        "": (standard.summary, standard.provenance),
        "questions": (" ".join(standard.coaching_questions), standard.guidance_provenance),
        "evidence": (" ".join(standard.evidence), standard.guidance_provenance),
        "weaknesses": (" ".join(standard.weaknesses), standard.guidance_provenance),
        "examples": (" ".join(standard.examples), standard.guidance_provenance),
    }
    if rest not in parts:
        return None
    text, prov = parts[rest]
    return found("Standards", title + (f": {rest}" if rest else ""), text, prov, standard=standard.id)


def source_names(kb: KnowledgeBase, keys: list[str] | str) -> str:
    """'ISPI CPT application handbook (I1); …' for source keys: names first, the key second."""
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    known = {s.key: s for s in kb.sources}
    return "; ".join(f"{known[k].title} ({k})" if k in known else k for k in keys)


def describe_source(kb: KnowledgeBase, source: str) -> str:
    """A verdict's ``rule-id (K1, K2)`` in words: the rule's title, then its sources by name."""
    rule_id, _, keys = source.partition(" (")
    rule = next((r for r in kb.rules if r.id == rule_id.strip()), None)
    names = source_names(kb, keys.rstrip(")")) if keys else ""
    if rule is None:
        return source
    return f"rule “{rule.title}”" + (f"; sources: {names}" if names else "")
