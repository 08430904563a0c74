"""Persistence for the UI: everything a user saves survives a server restart."""

from app.storage.database import Storage, StorageError
from app.storage.models import (
    Attestation,
    AttestationState,
    Comment,
    Conversation,
    Draft,
    DraftStatus,
    Message,
    Verdict,
    Version,
    Workspace,
)

__all__ = [
    "Attestation",
    "AttestationState",
    "Comment",
    "Conversation",
    "Draft",
    "DraftStatus",
    "Message",
    "Storage",
    "StorageError",
    "Verdict",
    "Version",
    "Workspace",
]
