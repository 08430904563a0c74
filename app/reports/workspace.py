"""A workspace's drafts seen together: each draft's last checked version, as one analysis."""

from __future__ import annotations

from app.knowledge.schema import KnowledgeBase
from app.mapping.models import Analysis, ProjectResult
from app.mapping.requirements import check_requirements, coverage
from app.reviews.verdicts import StandardReview, draft_reviews
from app.storage import Comment, Storage
from app.storage.access import WorkspaceStore


def latest_results(storage: Storage | WorkspaceStore, workspace_id: int) -> list[tuple[int, ProjectResult]]:
    """(draft id, its last analysis) for every draft that has been checked, in draft order."""
    out = []
    for draft in storage.drafts(workspace_id):
        versions = [v for v in storage.versions(draft.id) if v.analysis]
        if versions:
            result = ProjectResult.model_validate(versions[-1].analysis)
            out.append((draft.id, result.model_copy(update={"source": draft.title})))
    return out


def workspace_analysis(storage: Storage | WorkspaceStore, kb: KnowledgeBase, workspace_id: int) -> Analysis:
    projects = [p for _, p in latest_results(storage, workspace_id)]
    return Analysis(
        program=kb.program.id,
        projects=projects,
        coverage=coverage(kb, projects),
        requirements=check_requirements(kb, projects) if projects else [],
    )


def workspace_reviews(storage: Storage | WorkspaceStore, workspace_id: int) -> dict[str, dict[str, StandardReview]]:
    """Per checked draft (by title): each standard's engine status on the last checked version beside the
    reviewer's verdict, if any."""
    out = {}
    for draft in storage.drafts(workspace_id):
        versions = [v for v in storage.versions(draft.id) if v.analysis]
        if versions:
            result = ProjectResult.model_validate(versions[-1].analysis)
            out[draft.title] = draft_reviews(result, versions[-1].number, storage.verdicts(draft.id))
    return out


def workspace_comments(storage: Storage | WorkspaceStore, workspace_id: int) -> dict[str, list[Comment]]:
    return {d.title: storage.comments(d.id) for d in storage.drafts(workspace_id)}
