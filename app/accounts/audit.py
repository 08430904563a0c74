"""The audit log: who signed in, opened, changed, exported or deleted which workspace, and when.

Callers pass an action, a workspace and a short detail made of ids and counts; there is no parameter
for text, so narrative text cannot reach the log by accident.
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum

from sqlalchemy import insert, select

from app.accounts.models import AuditEntry, Principal
from app.storage.database import Storage, now_text
from app.storage.models import Workspace
from app.storage.schema import audit


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
                insert(audit).values(
                    at=now_text(),
                    actor=actor,
                    actor_role=role,
                    action=action.value,
                    workspace_id=workspace.id if workspace else workspace_id,
                    workspace=workspace.name if workspace else None,
                    detail=detail[:200],
                )
            )

    def entries(self, limit: int | None = None) -> list[AuditEntry]:
        query = select(audit).order_by(audit.c.id.desc())
        return [AuditEntry(**r) for r in self.storage.rows(query.limit(limit) if limit else query)]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        fields = list(AuditEntry.model_fields)
        writer.writerow(fields)
        for entry in reversed(self.entries()):
            writer.writerow([getattr(entry, f) if getattr(entry, f) is not None else "" for f in fields])
        return out.getvalue()
