"""A workspace as one .zip its owner can keep: every draft with all its versions and analyses, comments,
reviewers' verdicts, the owner's conversations, the attestation tracker and the workspace's settings
(``workspace.json``), plus each draft's current text as a Markdown file for reading without certprep."""

from __future__ import annotations

import io
import json
import zipfile

from app.storage.database import Storage, now_text
from app.storage.models import Workspace
from app.storage.uploads import safe_name

FORMAT = "certprep-workspace/1"


def workspace_data(storage: Storage, workspace: Workspace) -> dict:
    drafts = []
    for draft in storage.drafts(workspace.id):
        drafts.append(
            {
                **draft.model_dump(mode="json"),
                "versions": [v.model_dump(mode="json") for v in storage.versions(draft.id)],
                "comments": [c.model_dump(mode="json") for c in storage.comments(draft.id)],
                "verdicts": [v.model_dump(mode="json") for v in storage.verdicts(draft.id)],
            }
        )
    conversations = []
    for conversation in storage.conversations(workspace.id, user_id=workspace.owner_id):
        conversations.append(
            {
                **conversation.model_dump(mode="json"),
                "messages": [m.model_dump(mode="json") for m in storage.messages(conversation.id)],
            }
        )
    settings = storage.settings(workspace.id)
    return {
        "format": FORMAT,
        "exported_at": now_text(),
        "workspace": workspace.model_dump(mode="json"),
        "drafts": drafts,
        "conversations": conversations,
        "attestations": [a.model_dump(mode="json") for a in storage.attestations(workspace.id)],
        "settings": settings,
    }


def workspace_archive(storage: Storage, workspace: Workspace) -> bytes:
    data = workspace_data(storage, workspace)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("workspace.json", json.dumps(data, indent=2, ensure_ascii=False))
        for draft in data["drafts"]:
            name = safe_name(f"{draft['id']:03d} {draft['title']}.md")
            archive.writestr(f"drafts/{name}", f"# {draft['title']}\n\n{draft['text']}\n")
    return buffer.getvalue()
