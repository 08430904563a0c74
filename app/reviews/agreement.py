"""How often reviewers agree with the engine: Cohen's kappa per standard and overall, with the counts behind
it, over the workspaces the asking user may read. Each (draft, standard) counts once: its newest verdict,
against the engine's status on the version that verdict was given on."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from app.reviews.verdicts import newest_verdicts
from app.storage.database import VERDICT_STATUSES


class StandardAgreement(BaseModel):
    standard_id: str | None = Field(description="None: all standards together.")
    n: int
    agreed: int
    observed: float | None = Field(description="Share of verdicts that confirm the engine.")
    kappa: float | None = Field(
        description="Cohen's kappa; None when it is undefined (no verdicts, or one status only)."
    )
    confusion: dict[str, dict[str, int]] = Field(description="engine status -> reviewer status -> count")
    overridden_to: dict[str, int] = Field(default_factory=dict, description="Overrides by the reviewer's status.")


class AgreementReport(BaseModel):
    program: str
    workspaces: int
    drafts: int
    overall: StandardAgreement
    standards: list[StandardAgreement]

    def weakest(self, minimum: int = 5) -> list[StandardAgreement]:
        """Standards with at least ``minimum`` verdicts, lowest kappa first: where the engine is weak."""
        rated = [s for s in self.standards if s.n >= minimum and s.kappa is not None]
        return sorted(rated, key=lambda s: s.kappa)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """(engine, reviewer) pairs -> kappa = (p_o - p_e) / (1 - p_e); None when p_e is 1 (both always said the
    same single status: agreement by chance alone cannot be told from skill)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    engine, reviewer = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(engine[c] * reviewer[c] for c in set(engine) | set(reviewer)) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def _summary(standard_id: str | None, pairs: list[tuple[str, str]]) -> StandardAgreement:
    confusion = {a: {b: 0 for b in VERDICT_STATUSES} for a in VERDICT_STATUSES}
    for a, b in pairs:
        confusion[a][b] += 1
    agreed = sum(a == b for a, b in pairs)
    kappa = cohen_kappa(pairs)
    return StandardAgreement(
        standard_id=standard_id,
        n=len(pairs),
        agreed=agreed,
        observed=round(agreed / len(pairs), 4) if pairs else None,
        kappa=None if kappa is None else round(kappa, 4),
        confusion=confusion,
        overridden_to=dict(Counter(b for a, b in pairs if a != b)),
    )


def agreement(store, program: str, standards: list[str]) -> AgreementReport:
    """``store``: a WorkspaceStore (its rules decide which workspaces count) or the raw Storage."""
    pairs: dict[str, list[tuple[str, str]]] = {s: [] for s in standards}
    workspaces = drafts = 0
    for workspace in store.workspaces():
        if workspace.program != program:
            continue
        counted = False
        for draft in store.drafts(workspace.id):
            newest = [v for v in newest_verdicts(store.verdicts(draft.id)).values() if v.standard_id in pairs]
            for verdict in newest:
                pairs[verdict.standard_id].append((verdict.engine_status, verdict.status))
            drafts += bool(newest)
            counted = counted or bool(newest)
        workspaces += counted
    every = [p for s in standards for p in pairs[s]]
    return AgreementReport(
        program=program,
        workspaces=workspaces,
        drafts=drafts,
        overall=_summary(None, every),
        standards=[_summary(s, pairs[s]) for s in standards],
    )
