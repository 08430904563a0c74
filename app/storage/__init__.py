"""Persistence for the UI: everything a user saves survives a server restart."""

from app.storage.database import Storage
from app.storage.errors import AccessDenied, StorageError, StorageUnavailable
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
    "AccessDenied",
    "Attestation",
    "AttestationState",
    "Comment",
    "Conversation",
    "Draft",
    "DraftStatus",
    "Message",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "Verdict",
    "Version",
    "Workspace",
]
