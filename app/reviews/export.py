"""Reviewer verdicts as labelled data for the mapping engine, in the evaluation data's format
(``evaluation/independent_data.py``): no names, client names redacted, and only from workspaces whose owner
allowed it.

Per draft, the newest version that has verdicts becomes one item. What it teaches, per judged standard:
- judged ``missing``: no sentence carries it (every sentence a negative for that standard);
- judged ``demonstrated`` or ``partial``: the sentences of the reviewer's evidence, or when they gave none,
  the sentences the engine quoted and the reviewer accepted, carry it; the other sentences are not labelled
  for it (a reviewer points to the evidence they rely on, not to every sentence that has some). With no
  passage at all (a standard only named), no sentence is labelled for it.
Standards nobody judged are not labelled at all (``judged`` lists the ones that were).
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, Field

from app.chat.redact import redact
from app.documents import segment
from app.knowledge.schema import KnowledgeBase
from app.mapping.models import ProjectResult
from app.storage.models import Verdict, Version

STYLE = "reviewed"
AUTHOR_PREFIX = "RV-"


class ReviewExport(BaseModel):
    program: str
    items: list[dict] = Field(description="IndependentItem-shaped records.")
    workspaces: int = Field(description="Workspaces whose verdicts were exported.")
    without_consent: int = Field(description="Workspaces with verdicts left out: the owner did not allow training.")
    verdicts: int
    left_out: list[str] = Field(default_factory=list, description="Drafts left out, and why (no text shown).")


def _pseudonym(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:10]


def _span_sentences(text: str, evidence: str, sentences) -> set[int]:
    words = evidence.split()
    if not words:
        return set()
    found = re.search(r"\s+".join(map(re.escape, words)), text)
    if not found:
        return set()
    return {i for i, s in enumerate(sentences) if s.start < found.end() and s.end > found.start()}


def _positives(verdict: Verdict, text: str, sentences, result: ProjectResult) -> set[int]:
    if verdict.status == "missing":
        return set()
    if verdict.evidence:
        return set().union(*(_span_sentences(text, line, sentences) for line in verdict.evidence.splitlines()))
    engine = next((s for s in result.standards if s.id == verdict.standard_id), None)
    quoted = set()
    for ev in engine.evidence if engine else []:
        quoted |= {i for i, s in enumerate(sentences) if s.start < ev.end and s.end > ev.start}
    return quoted


def draft_item(
    program: str,
    workspace_key: str,
    draft_id: int,
    version: Version,
    verdicts: list[Verdict],
    keep: set[str],
    names: list[str] = (),
) -> dict | str:
    """One labelled item, or why the draft cannot give one."""
    if not version.analysis:
        return "its judged version has no analysis"
    result = ProjectResult.model_validate(version.analysis)
    sentences = segment(version.text).sentences
    labels: list[set[str]] = [set() for _ in sentences]
    for verdict in verdicts:  # a present standard with no passage to point at teaches only its status
        for i in _positives(verdict, version.text, sentences, result):
            labels[i].add(verdict.standard_id)
    # one redacted sentence per paragraph, so that the exported text splits into the same sentences
    redacted = [" ".join(redact(_names_in(s.text, names), keep).split()) for s in sentences]
    text = "\n\n".join(redacted)
    if len(segment(text).sentences) != len(sentences):
        return "redaction changed how its text splits into sentences"
    author = f"{AUTHOR_PREFIX}{workspace_key}"
    return {
        "id": f"{author}-{_pseudonym(workspace_key, draft_id)}",
        "program": program,
        "author": author,
        "style": STYLE,
        "kind": "project",
        "text": text,
        "labels": {v.standard_id: v.status for v in verdicts if v.status != "missing"},
        "judged": sorted(v.standard_id for v in verdicts),
        "sentences": [sorted(x) for x in labels],
    }


def _keep_terms(kb: KnowledgeBase) -> set[str]:
    """Capitalised words that are not names: the program's and its standards' own."""
    return {kb.program.short_name, kb.program.id.upper()} | {w for s in kb.standards for w in s.title.split()}


def _names_in(text: str, names: list[str]) -> str:
    for name in sorted({n for n in names if n.strip()}, key=len, reverse=True):
        text = re.sub(re.escape(name.strip()), "[name]", text, flags=re.IGNORECASE)
    return text


def export_reviews(store, kb: KnowledgeBase) -> ReviewExport:
    """``store``: the asking user's WorkspaceStore (staff, or the one local user); its rules decide what is
    readable, the owners' consent what is exported."""
    from app.storage.access import may_export_reviews
    from app.storage.database import AccessDenied

    if not may_export_reviews(store.principal):
        raise AccessDenied("only the certifying body's staff export reviewer verdicts for training")
    program = kb.program.id
    keep = _keep_terms(kb)
    items, left_out = [], []
    included = without = count = 0
    for workspace in store.workspaces():
        if workspace.program != program:
            continue
        drafts = [(d, store.verdicts(d.id)) for d in store.drafts(workspace.id)]
        drafts = [(d, v) for d, v in drafts if v]
        if not drafts:
            continue
        if not store.training_allowed(workspace.id):
            without += 1
            continue
        names = [a.name for a in store.attestations(workspace.id)]
        key = _pseudonym("workspace", workspace.id, workspace.created_at)
        exported = 0
        for n, (draft, verdicts) in enumerate(drafts, 1):
            newest = max(v.version for v in verdicts)
            judged = [v for v in verdicts if v.version == newest]
            version = next(v for v in store.versions(draft.id) if v.number == newest)
            item = draft_item(program, key, draft.id, version, judged, keep, names)
            if isinstance(item, str):
                left_out.append(f"workspace {key}, draft {n}: {item}")
                continue
            items.append(item)
            count += len(judged)
            exported += 1
        included += exported > 0
    return ReviewExport(
        program=program, items=items, workspaces=included, without_consent=without, verdicts=count, left_out=left_out
    )
