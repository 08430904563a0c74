"""What changed between two drafts of the same narrative, standard by standard."""

from __future__ import annotations

from app.mapping.models import Comparison, ProjectResult, StandardChange, Status

_RANK = {Status.missing: 0, Status.partial: 1, Status.demonstrated: 2}


def compare(program: str, old: ProjectResult, new: ProjectResult) -> Comparison:
    changes = []
    before = {s.id: s for s in old.standards}
    for after in new.standards:
        prior = before[after.id]
        delta = _RANK[after.status] - _RANK[prior.status]
        changes.append(
            StandardChange(
                id=after.id,
                title=after.title,
                before=prior.status,
                after=after.status,
                change="improved" if delta > 0 else "regressed" if delta < 0 else "unchanged",
                confidence_delta=round(after.confidence - prior.confidence, 3),
                criteria_added=[c for c in after.criteria_met if c not in prior.criteria_met],
                criteria_lost=[c for c in prior.criteria_met if c not in after.criteria_met],
            )
        )
    return Comparison(program=program, old=old.source, new=new.source, standards=changes)
