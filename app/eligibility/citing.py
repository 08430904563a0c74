"""The one rule for citing a verdict and calling it uncertain, used by every check.

A verdict is uncertain when the rule it applies is (its provenance says so), when the value in force is
(its source is uncertain, sources disagree, or the date the version took effect is), or when the fact it
rests on is (the applicant's figure is an estimate, a relation only unofficial sources accept...).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from app.knowledge.schema import Confidence, KnowledgeBase


class Citation(BaseModel):
    source: str = Field(description="Rule ids and source keys, e.g. `paid-hours (N1, N2)`.")
    uncertain: bool
    why: list[str] = Field(default_factory=list, description="What makes it uncertain, in words.")


def cite(kb: KnowledgeBase, parameter_ids: list[str], on: dt.date, fact_doubt: str | None = None) -> Citation:
    by_rule: dict[str, list[str]] = {}
    why: list[str] = []
    for pid in dict.fromkeys(parameter_ids):
        rule = kb.rule_of(pid)
        resolved = kb.resolve(pid, on)
        keys = by_rule.setdefault(rule.id, [])
        keys += [k for k in resolved.provenance.sources if k not in keys]
        if rule.provenance.confidence is Confidence.uncertain:
            why.append(f"rule {rule.id}: {rule.provenance.note}")
        if resolved.uncertain:
            why.append(f"{pid}: {resolved.provenance.note or resolved.version or 'sources disagree'}")
    if fact_doubt:
        why.append(fact_doubt)
    source = "; ".join(f"{rule} ({', '.join(keys)})" for rule, keys in by_rule.items())
    return Citation(source=source, uncertain=bool(why), why=list(dict.fromkeys(why)))
