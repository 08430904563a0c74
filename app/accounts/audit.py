"""The audit log: who signed in, opened, changed, exported or deleted which workspace, and when.

Callers pass an action, a workspace and a short detail made of ids and counts; there is no parameter
for text, so narrative text cannot reach the log by accident.
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum

from app.accounts.models import AuditEntry, Principal
from app.storage.database import Storage, now_text
from app.storage.models import Workspace


class Action(StrEnum):
    sign_in = "sign in"
    sign_in_failed = "sign-in failed"
    locked = "account locked"
    sign_out = "sign out"
    open = "open"
    create = "create"
    change = "change"
    comment = "comment"
    review = "set review status"
    verdict = "reviewer verdict"
    export = "export"
    delete = "delete"
    denied = "access denied"
    account = "account change"


class AuditLog:
    def __init__(self, storage: Storage):
        self.storage = storage

    def record(
        self,
        who: Principal | str,
        action: Action,
        workspace: Workspace | None = None,
        detail: str = "",
        *,
        workspace_id: int | None = None,
    ) -> None:
        actor, role = (who.username, who.role.value) if isinstance(who, Principal) else (str(who), "")
        with self.storage.transaction() as conn:
            conn.execute(
                "INSERT INTO audit(at, actor, actor_role, action, workspace_id, workspace, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    now_text(),
                    actor,
                    role,
                    action.value,
                    workspace.id if workspace else workspace_id,
                    workspace.name if workspace else None,
                    detail[:200],
                ),
            )

    def entries(self, limit: int | None = None) -> list[AuditEntry]:
        sql = "SELECT * FROM audit ORDER BY id DESC" + (" LIMIT ?" if limit else "")
        rows = self.storage.query(sql, *([limit] if limit else []))
        return [AuditEntry(**dict(r)) for r in rows]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        fields = list(AuditEntry.model_fields)
        writer.writerow(fields)
        for entry in reversed(self.entries()):
            writer.writerow([getattr(entry, f) if getattr(entry, f) is not None else "" for f in fields])
        return out.getvalue()
