"""What a page or report shows per standard: the engine's status on the latest checked version beside the
reviewer's verdict. A verdict belongs to the version it was given on; on a newer version it is shown as
"from v2" and no longer counts until the reviewer looks again."""

from __future__ import annotations

from pydantic import BaseModel

from app.mapping.models import ProjectResult, Status
from app.storage.models import Verdict


class StandardReview(BaseModel):
    standard_id: str
    engine: Status
    verdict: Verdict | None = None
    latest_version: int

    @property
    def current(self) -> bool:
        """Given on the version the engine's status is for."""
        return self.verdict is not None and self.verdict.version == self.latest_version

    @property
    def final(self) -> Status:
        """The reviewer's word when it is for this version, else the engine's."""
        return Status(self.verdict.status) if self.current and self.verdict else self.engine

    @property
    def disagrees(self) -> bool:
        """The reviewer overrode the engine on the version they judged."""
        return self.verdict is not None and self.verdict.overrides

    def label(self) -> str:
        """e.g. "demonstrated (reviewer)", "partial (reviewer, from v2)"; empty without a verdict."""
        if self.verdict is None:
            return ""
        where = "" if self.current else f", from v{self.verdict.version}"
        return f"{self.verdict.status} ({self.verdict.reviewer}{where})"


def newest_verdicts(verdicts: list[Verdict]) -> dict[str, Verdict]:
    """Per standard, the verdict of the newest version (the latest given on it)."""
    newest: dict[str, Verdict] = {}
    for verdict in sorted(verdicts, key=lambda v: (v.version, v.created_at)):
        newest[verdict.standard_id] = verdict
    return newest


def draft_reviews(result: ProjectResult, latest_version: int, verdicts: list[Verdict]) -> dict[str, StandardReview]:
    """Per standard of ``result`` (the analysis of version ``latest_version``): the newest verdict given on
    this version or an earlier one."""
    newest = newest_verdicts([v for v in verdicts if v.version <= latest_version])
    return {
        s.id: StandardReview(standard_id=s.id, engine=s.status, verdict=newest.get(s.id), latest_version=latest_version)
        for s in result.standards
    }
