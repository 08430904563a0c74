"""Who may do what with an applicant's workspace, decided here and nowhere else.

Every front end (web pages, command line, any future API) reaches workspaces through a
``WorkspaceStore`` made for the signed-in principal; the raw ``Storage`` is for this module, the account
service and maintenance. The rules (organization mode):

- the owner of a workspace (a candidate, or anyone for their own workspace) reads, edits, exports and
  deletes it;
- a mentor reads the workspaces of the candidates assigned to them, comments and sets the review status,
  and does not edit the narrative;
- staff read every workspace; they do not change it;
- reviewer verdicts (the final word on a standard) come from an assigned mentor or staff, never from the
  workspace's owner: a candidate cannot mark their own work;
- an administrator manages accounts and reads the audit log, not other people's workspaces;
- a conversation with the assistant belongs to the user who had it, wherever it is kept.

A workspace someone may not read is reported exactly as a missing one. In personal mode the one local
user may do everything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from app.accounts.audit import Action, AuditLog
from app.accounts.models import AccountRole, Principal
from app.storage.database import AccessDenied, Storage, StorageError
from app.storage.models import (
    Attestation,
    Comment,
    Conversation,
    Draft,
    DraftStatus,
    Message,
    Verdict,
    Version,
    Workspace,
)


class Permission(StrEnum):
    read = "read"
    edit = "edit"
    review = "review"
    chat = "chat"
    export = "export"
    delete = "delete"
    verdict = "verdict"


_NOT_OWNER = {
    AccountRole.mentor: {Permission.read, Permission.review, Permission.verdict, Permission.chat},  # assigned only
    AccountRole.staff: {Permission.read, Permission.verdict, Permission.chat},
    AccountRole.candidate: set(),
    AccountRole.admin: set(),
}


def allowed(principal: Principal, permission: Permission, workspace: Workspace, assigned: set[int]) -> bool:
    """The rule itself, kept pure so that it can be tested as a table. ``assigned``: the ids of the
    candidates assigned to the principal when it is a mentor."""
    if principal.personal:
        return True
    if workspace.owner_id is not None and workspace.owner_id == principal.user_id:
        return permission is not Permission.verdict
    if principal.role is AccountRole.mentor and workspace.owner_id not in assigned:
        return False
    return permission in _NOT_OWNER[principal.role]


TRAINING_CONSENT = "allow-training"


def may_screen(principal: Principal) -> bool:
    """Batch screening reads other people's application files: the certifying body's staff only."""
    return principal.personal or principal.role is AccountRole.staff


def may_export_reviews(principal: Principal) -> bool:
    """Verdicts leave the workspaces as training data: the certifying body's staff decide that (and only
    from workspaces whose owners allowed it)."""
    return principal.personal or principal.role is AccountRole.staff


class WorkspaceStore:
    """The store as one principal may use it: same method names as ``Storage``, every call checked."""

    def __init__(self, storage: Storage, principal: Principal):
        self.storage = storage
        self.principal = principal
        self.audit = AuditLog(storage)

    # Rules -------------------------------------------------------------------------------------------

    def _assigned(self) -> set[int]:
        if self.principal.role is not AccountRole.mentor or self.principal.user_id is None:
            return set()
        return self.storage.assigned_candidates(self.principal.user_id)

    def can(self, permission: Permission, workspace: Workspace) -> bool:
        return allowed(self.principal, permission, workspace, self._assigned())

    def _checked(self, workspace_id: int, permission: Permission, hidden: str | None = None) -> Workspace:
        """The workspace, if this principal may do ``permission`` with it. Otherwise AccessDenied, worded
        as ``hidden`` (default: the missing-workspace message) when they may not even read it."""
        missing = AccessDenied(hidden or f"no workspace with id {workspace_id}")
        try:
            workspace = self.storage.workspace(workspace_id)
        except StorageError:
            raise missing from None
        if not self.can(Permission.read, workspace):
            self.audit.record(self.principal, Action.denied, workspace_id=workspace_id, detail=permission.value)
            raise missing
        if not self.can(permission, workspace):
            self.audit.record(self.principal, Action.denied, workspace, detail=permission.value)
            raise AccessDenied(f"you can read “{workspace.name}” but not {_VERBS[permission]} it")
        return workspace

    def _draft(self, draft_id: int, permission: Permission) -> tuple[Draft, Workspace]:
        hidden = f"no draft with id {draft_id}"
        try:
            draft = self.storage.draft(draft_id)
        except StorageError:
            raise AccessDenied(hidden) from None
        return draft, self._checked(draft.workspace_id, permission, hidden)

    def _conversation(self, conversation_id: int) -> Conversation:
        try:
            conversation = self.storage.conversation(conversation_id)
        except StorageError:
            conversation = None
        if conversation is None or conversation.user_id != self.principal.user_id:
            raise AccessDenied(f"no conversation with id {conversation_id}")
        if not self.principal.personal:
            self._checked(conversation.workspace_id, Permission.chat)
        return conversation

    def _changed(self, workspace: Workspace, detail: str) -> None:
        self.audit.record(self.principal, Action.change, workspace, detail)

    # Workspaces --------------------------------------------------------------------------------------

    def workspaces(self) -> list[Workspace]:
        """The workspaces this principal may read: their own first, then by last use."""
        assigned = self._assigned()
        mine = self.principal.user_id
        readable = [w for w in self.storage.workspaces() if allowed(self.principal, Permission.read, w, assigned)]
        return sorted(readable, key=lambda w: w.owner_id != mine)

    def workspace(self, workspace_id: int) -> Workspace:
        return self._checked(workspace_id, Permission.read)

    def open(self, workspace_id: int) -> Workspace:
        """Read access, recorded: called when a user opens a workspace, not on every page refresh."""
        workspace = self._checked(workspace_id, Permission.read)
        self.audit.record(self.principal, Action.open, workspace)
        return workspace

    def create_workspace(self, name: str, program: str) -> Workspace:
        workspace = self.storage.create_workspace(name, program, owner_id=self.principal.user_id)
        self.audit.record(self.principal, Action.create, workspace)
        return workspace

    def set_workspace_program(self, workspace_id: int, program: str) -> None:
        workspace = self._checked(workspace_id, Permission.edit)
        self.storage.set_workspace_program(workspace_id, program)
        self._changed(workspace, f"program {program}")

    def get_setting(self, workspace_id: int, key: str, default: Any = None) -> Any:
        self._checked(workspace_id, Permission.read)
        return self.storage.get_setting(workspace_id, key, default)

    def set_setting(self, workspace_id: int, key: str, value: Any) -> None:
        workspace = self._checked(workspace_id, Permission.edit)
        self.storage.set_setting(workspace_id, key, value)
        if key != "last-role":
            self._changed(workspace, f"setting {key}")

    def export(self, workspace_id: int) -> bytes:
        from app.storage.export import workspace_archive

        workspace = self._checked(workspace_id, Permission.export)
        data = workspace_archive(self.storage, workspace)
        self.audit.record(self.principal, Action.export, workspace)
        return data

    def delete_workspace(self, workspace_id: int) -> None:
        workspace = self._checked(workspace_id, Permission.delete)
        self.storage.delete_workspace(workspace_id)
        self.audit.record(self.principal, Action.delete, workspace)

    # Drafts ------------------------------------------------------------------------------------------

    def drafts(self, workspace_id: int) -> list[Draft]:
        self._checked(workspace_id, Permission.read)
        return self.storage.drafts(workspace_id)

    def draft(self, draft_id: int) -> Draft:
        return self._draft(draft_id, Permission.read)[0]

    def create_draft(self, workspace_id: int, title: str, text: str = "") -> Draft:
        workspace = self._checked(workspace_id, Permission.edit)
        draft = self.storage.create_draft(workspace_id, title, text)
        self._changed(workspace, f"created draft {draft.id}")
        return draft

    def save_text(self, draft_id: int, text: str) -> Draft:
        workspace = self._draft(draft_id, Permission.edit)[1]
        draft = self.storage.save_text(draft_id, text)
        self._changed(workspace, f"saved the text of draft {draft_id}")
        return draft

    def rename_draft(self, draft_id: int, title: str) -> None:
        workspace = self._draft(draft_id, Permission.edit)[1]
        self.storage.rename_draft(draft_id, title)
        self._changed(workspace, f"renamed draft {draft_id}")

    def delete_draft(self, draft_id: int) -> None:
        workspace = self._draft(draft_id, Permission.edit)[1]
        self.storage.delete_draft(draft_id)
        self._changed(workspace, f"deleted draft {draft_id}")

    def set_status(self, draft_id: int, status: DraftStatus | str) -> None:
        workspace = self._draft(draft_id, Permission.review)[1]
        self.storage.set_status(draft_id, status)
        self.audit.record(self.principal, Action.review, workspace, f"draft {draft_id}: {DraftStatus(status).value}")

    def save_version(self, draft_id: int, text: str, analysis: dict | None = None) -> Version:
        workspace = self._draft(draft_id, Permission.edit)[1]
        version = self.storage.save_version(draft_id, text, analysis)
        self._changed(workspace, f"draft {draft_id} version {version.number}")
        return version

    def versions(self, draft_id: int) -> list[Version]:
        self._draft(draft_id, Permission.read)
        return self.storage.versions(draft_id)

    def add_comment(self, draft_id: int, author: str, text: str, standard_id: str | None = None) -> Comment:
        """In organization mode the author is the signed-in account, whatever name is typed."""
        workspace = self._draft(draft_id, Permission.review)[1]
        if not self.principal.personal:
            author = self.principal.display_name
        comment = self.storage.add_comment(draft_id, author, text, standard_id, author_id=self.principal.user_id)
        self.audit.record(self.principal, Action.comment, workspace, f"draft {draft_id} comment {comment.id}")
        return comment

    def comments(self, draft_id: int) -> list[Comment]:
        self._draft(draft_id, Permission.read)
        return self.storage.comments(draft_id)

    # Reviewer verdicts ------------------------------------------------------------------------------

    def set_verdict(
        self,
        draft_id: int,
        version: int,
        standard_id: str,
        status: str,
        reason: str = "",
        evidence: str | None = None,
        reviewer: str = "Reviewer",
    ) -> Verdict:
        """In organization mode the reviewer is the signed-in account, whatever name is given."""
        workspace = self._draft(draft_id, Permission.verdict)[1]
        if not self.principal.personal:
            reviewer = self.principal.display_name
        verdict = self.storage.set_verdict(
            draft_id, version, standard_id, status, reason, evidence, reviewer, reviewer_id=self.principal.user_id
        )
        detail = f"draft {draft_id} v{version} {standard_id}: {verdict.status} (engine {verdict.engine_status})"
        self.audit.record(self.principal, Action.verdict, workspace, detail)
        return verdict

    def clear_verdict(self, draft_id: int, version: int, standard_id: str) -> None:
        workspace = self._draft(draft_id, Permission.verdict)[1]
        self.storage.clear_verdict(draft_id, version, standard_id)
        self.audit.record(
            self.principal, Action.verdict, workspace, f"draft {draft_id} v{version} {standard_id}: cleared"
        )

    def verdicts(self, draft_id: int) -> list[Verdict]:
        self._draft(draft_id, Permission.read)
        return self.storage.verdicts(draft_id)

    def training_allowed(self, workspace_id: int) -> bool:
        """Whether the owner let reviewers' verdicts on this workspace train the mapping engine (default no)."""
        return bool(self.get_setting(workspace_id, TRAINING_CONSENT, False))

    def allow_training(self, workspace_id: int, allowed: bool) -> None:
        """The owner's choice alone: only they may edit the workspace's settings."""
        self.set_setting(workspace_id, TRAINING_CONSENT, bool(allowed))

    # Conversations: each user's own ---------------------------------------------------------------

    def create_conversation(self, workspace_id: int, program: str, role: str) -> Conversation:
        if not self.principal.personal:
            self._checked(workspace_id, Permission.chat)
        return self.storage.create_conversation(workspace_id, program, role, user_id=self.principal.user_id)

    def conversations(self, workspace_id: int) -> list[Conversation]:
        if not self.principal.personal:
            self._checked(workspace_id, Permission.chat)
        return self.storage.conversations(workspace_id, user_id=self.principal.user_id)

    def conversation(self, conversation_id: int) -> Conversation:
        return self._conversation(conversation_id)

    def update_conversation(self, conversation_id: int, **changes: Any) -> None:
        self._conversation(conversation_id)
        self.storage.update_conversation(conversation_id, **changes)

    def add_message(self, conversation_id: int, speaker: str, text: str, meta: dict | None = None) -> Message:
        self._conversation(conversation_id)
        return self.storage.add_message(conversation_id, speaker, text, meta)

    def messages(self, conversation_id: int) -> list[Message]:
        self._conversation(conversation_id)
        return self.storage.messages(conversation_id)

    def set_feedback(self, message_id: int, helpful: bool | None) -> None:
        conversation_id = self.storage.message_conversation(message_id)
        if conversation_id is None:
            raise AccessDenied(f"no assistant message with id {message_id}")
        self._conversation(conversation_id)
        self.storage.set_feedback(message_id, helpful)

    # Attestation tracker -------------------------------------------------------------------------------

    def attestations(self, workspace_id: int) -> list[Attestation]:
        self._checked(workspace_id, Permission.read)
        return self.storage.attestations(workspace_id)

    def replace_attestations(self, workspace_id: int, entries: list[dict]) -> list[Attestation]:
        workspace = self._checked(workspace_id, Permission.edit)
        saved = self.storage.replace_attestations(workspace_id, entries)
        self._changed(workspace, f"attestations ({len(saved)} rows)")
        return saved


_VERBS = {
    Permission.read: "read",
    Permission.edit: "change",
    Permission.review: "review",
    Permission.chat: "use the assistant in",
    Permission.export: "export",
    Permission.delete: "delete",
    Permission.verdict: "give reviewer verdicts on",
}
