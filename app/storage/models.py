"""What the database hands back: plain pydantic records, so the UI never touches SQL rows."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class DraftStatus(StrEnum):
    draft = "draft"
    for_review = "for review"
    approved = "approved"


class AttestationState(StrEnum):
    to_request = "to request"
    requested = "requested"
    received = "received"
    signed = "signed"


class Workspace(BaseModel):
    id: int
    name: str
    program: str
    owner_id: int | None = Field(default=None, description="The account that owns it; None in personal mode.")
    created_at: str
    updated_at: str


class Draft(BaseModel):
    id: int
    workspace_id: int
    title: str
    text: str
    status: DraftStatus
    created_at: str
    updated_at: str


class Version(BaseModel):
    id: int
    draft_id: int
    number: int
    text: str
    analysis: dict[str, Any] | None = Field(default=None, description="The project's analysis when saved.")
    created_at: str


class Comment(BaseModel):
    id: int
    draft_id: int
    standard_id: str | None
    author: str
    author_id: int | None = None
    text: str
    created_at: str


class Verdict(BaseModel):
    """A reviewer's word on one standard of one checked version; the engine's status on that version kept
    beside it."""

    id: int
    draft_id: int
    version: int
    standard_id: str
    engine_status: str
    status: str
    reason: str = ""
    evidence: str | None = None
    reviewer: str
    reviewer_id: int | None = None
    created_at: str

    @property
    def overrides(self) -> bool:
        return self.status != self.engine_status


class Conversation(BaseModel):
    id: int
    workspace_id: int
    user_id: int | None = None
    program: str
    role: str
    title: str
    facts: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    updated_at: str


class Message(BaseModel):
    id: int
    conversation_id: int
    speaker: str
    text: str
    meta: dict[str, Any] = Field(default_factory=dict, description="Citations, chunk ids, intent, standard…")
    feedback: int | None = Field(default=None, description="1 = helpful, 0 = not helpful, None = no rating.")
    created_at: str


class Attestation(BaseModel):
    id: int
    workspace_id: int
    project: str
    name: str
    relation: str
    state: AttestationState
    updated_at: str
