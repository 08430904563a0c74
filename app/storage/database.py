"""The application's database: workspaces, drafts and their versions, analyses, comments, verdicts, chat
history and feedback (accounts and the audit log share it).

Why these choices: SQLAlchemy Core, so the same statements run on the default SQLite file and on a PostgreSQL
server shared by several app instances; every write in one transaction, so a save is all there or not there at
all; a database that cannot be reached is a ``StorageUnavailable`` with a plain message, never a half-write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Executable, and_, delete, func, insert, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.storage import schema as t
from app.storage.engine import database_url, engine_for, redacted, writer
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
from app.storage.schema import VERDICT_STATUSES

__all__ = ["VERDICT_STATUSES", "AccessDenied", "Storage", "StorageError", "StorageUnavailable"]

MAX_TITLE = 200
MAX_TEXT_CHARS = 2_000_000


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _title(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise StorageError(f"the {what} needs a name")
    if len(value) > MAX_TITLE:
        raise StorageError(f"the {what} name is {len(value)} characters; the limit is {MAX_TITLE}")
    return value


def _text(value: str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise StorageError(f"the text is {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    return value


def _quoted(evidence: str | None, text: str, version: int) -> str | None:
    """The reviewer's evidence: one or more passages, one per line, each the candidate's own words from the
    version judged (spacing and surrounding quotation marks aside), so that it can be shown in place and
    used as a label."""
    flat = " ".join(text.split())
    passages = []
    for line in (evidence or "").splitlines():
        passage = " ".join(line.split()).strip("\"“”'‘’ ")
        if not passage:
            continue
        if passage not in flat:
            raise StorageError(
                f"the evidence “{passage[:60]}{'…' if len(passage) > 60 else ''}” is not in version {version}'s "
                "text: copy the passage from the draft (one passage per line)"
            )
        passages.append(passage)
    return "\n".join(passages) or None


_JSON_COLUMNS = ("analysis", "facts", "meta")


def _decoded(row: Any) -> dict[str, Any]:
    data = dict(row)
    for column in _JSON_COLUMNS:
        if column in data:
            data[column] = json.loads(data[column]) if data[column] else None
    return data


class Storage:
    """The application's database. Cheap to create (the engine and its pool are shared per database and
    process); safe to share between threads."""

    def __init__(self, target: str | Path):
        self.url = database_url(target)
        try:
            self.engine = engine_for(self.url)
        except DBAPIError as exc:
            raise StorageUnavailable(f"the database at {redacted(self.url)} cannot be reached: {_reason(exc)}") from exc
        self._writer = writer(self.engine)
        self.path = Path(self.engine.url.database) if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise
        except DBAPIError as exc:
            if exc.connection_invalidated or _unreachable(exc):
                raise StorageUnavailable(
                    f"the database cannot be reached ({_reason(exc)}): try again in a moment"
                ) from exc
            raise

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction: all of it is written, or (on any error, a lost server included) none of it."""
        try:
            with self._guard(), self._writer.begin() as conn:
                yield conn
        except StorageUnavailable as exc:
            raise StorageUnavailable(f"{exc}; this change was not saved") from exc.__cause__

    def transaction(self) -> Any:
        """One write transaction, for the account store and audit log that share this database."""
        return self._write()

    def rows(self, statement: Executable) -> list[dict[str, Any]]:
        with self._guard(), self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(statement).mappings()]

    def scalar(self, statement: Executable) -> Any:
        with self._guard(), self.engine.connect() as conn:
            return conn.execute(statement).scalar()

    def _one(self, table: Any, row_id: int, what: str) -> dict[str, Any]:
        """The row with this id, JSON columns decoded; a clear error when there is none."""
        found = self.rows(select(table).where(table.c.id == row_id))
        if not found:
            raise StorageError(f"no {what} with id {row_id}")
        return _decoded(found[0])

    def _upsert(self, table: Any, values: dict[str, Any], keys: list[str]) -> Any:
        """INSERT ... ON CONFLICT (keys) DO UPDATE, in the engine's own dialect."""
        statement = (pg_insert if self.dialect == "postgresql" else sqlite_insert)(table).values(**values)
        changed = {k: statement.excluded[k] for k in values if k not in keys}
        return statement.on_conflict_do_update(index_elements=keys, set_=changed)

    def integrity_check(self) -> str:
        """SQLite's own check of the file ("ok"); a server database checks itself."""
        if self.dialect != "sqlite":
            return "ok"
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar()

    def _scrub(self) -> None:
        """After a deletion: push the overwritten pages out of SQLite's write-ahead log; on PostgreSQL, VACUUM
        the tables so the dead rows' space is reclaimed (their bytes stay until the pages are reused)."""
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif self.dialect == "postgresql":
                for table in (t.workspaces, *t.WORKSPACE_TABLES):
                    conn.execute(sql(f"VACUUM {table.name}"))

    def assigned_candidates(self, mentor_id: int) -> set[int]:
        a = t.assignments.c
        return {r["candidate_id"] for r in self.rows(select(a.candidate_id).where(a.mentor_id == mentor_id))}

    # Workspaces ---------------------------------------------------------------------------------------

    def create_workspace(self, name: str, program: str, owner_id: int | None = None) -> Workspace:
        name = _title(name, "workspace")
        now = now_text()
        try:
            with self._write() as conn:
                new_id = conn.execute(
                    insert(t.workspaces)
                    .values(name=name, program=program, owner_id=owner_id, created_at=now, updated_at=now)
                    .returning(t.workspaces.c.id)
                ).scalar_one()
        except IntegrityError as exc:
            raise StorageError(f"a workspace named {name!r} already exists") from exc
        return self.workspace(new_id)

    def workspaces(self) -> list[Workspace]:
        rows = self.rows(select(t.workspaces).order_by(t.workspaces.c.updated_at.desc(), t.workspaces.c.id))
        return [Workspace(**r) for r in rows]

    def delete_workspace(self, workspace_id: int) -> None:
        """Every row of the workspace goes (drafts, versions, comments, chat, settings, attestations), and is
        scrubbed from the files as far as the engine allows (see ``_scrub``)."""
        with self._write() as conn:
            if conn.execute(delete(t.workspaces).where(t.workspaces.c.id == workspace_id)).rowcount == 0:
                raise StorageError(f"no workspace with id {workspace_id}")
        self._scrub()

    def workspace(self, workspace_id: int) -> Workspace:
        return Workspace(**self._one(t.workspaces, workspace_id, "workspace"))

    def set_workspace_program(self, workspace_id: int, program: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(t.workspaces)
                .where(t.workspaces.c.id == workspace_id)
                .values(program=program, updated_at=now_text())
            )

    def get_setting(self, workspace_id: int, key: str, default: Any = None) -> Any:
        value = self.scalar(
            select(t.settings.c.value).where(t.settings.c.workspace_id == workspace_id, t.settings.c.key == key)
        )
        return json.loads(value) if value is not None else default

    def settings(self, workspace_id: int) -> dict[str, Any]:
        rows = self.rows(select(t.settings).where(t.settings.c.workspace_id == workspace_id))
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set_setting(self, workspace_id: int, key: str, value: Any) -> None:
        with self._write() as conn:
            conn.execute(
                self._upsert(
                    t.settings,
                    {"workspace_id": workspace_id, "key": key, "value": json.dumps(value)},
                    ["workspace_id", "key"],
                )
            )

    # Drafts and versions ------------------------------------------------------------------------------

    def create_draft(self, workspace_id: int, title: str, text: str = "") -> Draft:
        title = _title(title, "draft")
        now = now_text()
        self.workspace(workspace_id)
        try:
            with self._write() as conn:
                new_id = conn.execute(
                    insert(t.drafts)
                    .values(workspace_id=workspace_id, title=title, text=_text(text), created_at=now, updated_at=now)
                    .returning(t.drafts.c.id)
                ).scalar_one()
                conn.execute(update(t.workspaces).where(t.workspaces.c.id == workspace_id).values(updated_at=now))
        except IntegrityError as exc:
            raise StorageError(f"this workspace already has a draft named {title!r}") from exc
        return self.draft(new_id)

    def drafts(self, workspace_id: int) -> list[Draft]:
        rows = self.rows(select(t.drafts).where(t.drafts.c.workspace_id == workspace_id).order_by(t.drafts.c.id))
        return [Draft(**r) for r in rows]

    def draft(self, draft_id: int) -> Draft:
        return Draft(**self._one(t.drafts, draft_id, "draft"))

    def save_text(self, draft_id: int, text: str) -> Draft:
        """Autosave: the working text, without making a version."""
        with self._write() as conn:
            changed = conn.execute(
                update(t.drafts).where(t.drafts.c.id == draft_id).values(text=_text(text), updated_at=now_text())
            )
            if changed.rowcount == 0:
                raise StorageError(f"no draft with id {draft_id}")
        return self.draft(draft_id)

    def rename_draft(self, draft_id: int, title: str) -> None:
        title = _title(title, "draft")
        try:
            with self._write() as conn:
                conn.execute(
                    update(t.drafts).where(t.drafts.c.id == draft_id).values(title=title, updated_at=now_text())
                )
        except IntegrityError as exc:
            raise StorageError(f"this workspace already has a draft named {title!r}") from exc

    def set_status(self, draft_id: int, status: DraftStatus | str) -> None:
        try:
            status = DraftStatus(status)
        except ValueError as exc:
            known = ", ".join(s.value for s in DraftStatus)
            raise StorageError(f"unknown status {status!r} (known: {known})") from exc
        with self._write() as conn:
            conn.execute(
                update(t.drafts).where(t.drafts.c.id == draft_id).values(status=status.value, updated_at=now_text())
            )

    def delete_draft(self, draft_id: int) -> None:
        with self._write() as conn:
            conn.execute(delete(t.drafts).where(t.drafts.c.id == draft_id))

    def save_version(self, draft_id: int, text: str, analysis: dict | None = None) -> Version:
        """A numbered snapshot of the draft (and its analysis); also becomes the working text. The draft's row
        is locked first, so two instances saving at once number their versions one after the other."""
        text = _text(text)
        now = now_text()
        with self._write() as conn:
            locked = select(t.drafts.c.id).where(t.drafts.c.id == draft_id).with_for_update()
            if conn.execute(locked).first() is None:
                raise StorageError(f"no draft with id {draft_id}")
            number = conn.execute(
                select(func.coalesce(func.max(t.versions.c.number), 0) + 1).where(t.versions.c.draft_id == draft_id)
            ).scalar_one()
            new_id = conn.execute(
                insert(t.versions)
                .values(
                    draft_id=draft_id,
                    number=number,
                    text=text,
                    analysis=json.dumps(analysis) if analysis is not None else None,
                    created_at=now,
                )
                .returning(t.versions.c.id)
            ).scalar_one()
            conn.execute(update(t.drafts).where(t.drafts.c.id == draft_id).values(text=text, updated_at=now))
        # made from what was written, not read back: once committed, the save is acknowledged whatever follows
        return Version(id=new_id, draft_id=draft_id, number=number, text=text, analysis=analysis, created_at=now)

    def versions(self, draft_id: int) -> list[Version]:
        rows = self.rows(select(t.versions).where(t.versions.c.draft_id == draft_id).order_by(t.versions.c.number))
        return [Version(**_decoded(r)) for r in rows]

    # Mentor comments ----------------------------------------------------------------------------------

    def add_comment(
        self, draft_id: int, author: str, text: str, standard_id: str | None = None, author_id: int | None = None
    ) -> Comment:
        text = (text or "").strip()
        if not text:
            raise StorageError("the comment is empty")
        author = _title(author or "mentor", "author")
        with self._write() as conn:
            if conn.execute(select(t.drafts.c.id).where(t.drafts.c.id == draft_id)).first() is None:
                raise StorageError(f"no draft with id {draft_id}")
            new_id = conn.execute(
                insert(t.comments)
                .values(
                    draft_id=draft_id,
                    standard_id=standard_id,
                    author=author,
                    author_id=author_id,
                    text=_text(text),
                    created_at=now_text(),
                )
                .returning(t.comments.c.id)
            ).scalar_one()
        return Comment(**self._one(t.comments, new_id, "comment"))

    def comments(self, draft_id: int) -> list[Comment]:
        rows = self.rows(select(t.comments).where(t.comments.c.draft_id == draft_id).order_by(t.comments.c.id))
        return [Comment(**r) for r in rows]

    # Reviewer verdicts ---------------------------------------------------------------------------------

    def set_verdict(
        self,
        draft_id: int,
        version: int,
        standard_id: str,
        status: str,
        reason: str = "",
        evidence: str | None = None,
        reviewer: str = "reviewer",
        reviewer_id: int | None = None,
    ) -> Verdict:
        """A reviewer's status for one standard of one checked version, replacing an earlier one on the same
        version. The engine's status on that version is kept beside it, so agreement can be counted later
        and the verdict still reads right after the draft moves on."""
        if status not in VERDICT_STATUSES:
            raise StorageError(f"unknown status {status!r} (known: {', '.join(VERDICT_STATUSES)})")
        found = [v for v in self.versions(draft_id) if v.number == version]
        if not found:
            raise StorageError(f"draft {draft_id} has no version {version}")
        checked = found[0]
        standards = {s["id"]: s["status"] for s in (checked.analysis or {}).get("standards", [])}
        if standard_id not in standards:
            raise StorageError(
                f"version {version} was not checked for {standard_id!r}"
                if standards
                else f"version {version} has not been checked: run the check before giving verdicts"
            )
        engine = standards[standard_id]
        reason = (reason or "").strip()
        if status != engine and not reason:
            raise StorageError(
                f"say why {standard_id} is {status} when the engine found it {engine}: a reason is needed to "
                "override the engine"
            )
        values = {
            "draft_id": draft_id,
            "version": version,
            "standard_id": standard_id,
            "engine_status": engine,
            "status": status,
            "reason": _text(reason),
            "evidence": _quoted(evidence, checked.text, version),
            "reviewer": _title(reviewer or "reviewer", "reviewer"),
            "reviewer_id": reviewer_id,
            "created_at": now_text(),
        }
        with self._write() as conn:
            conn.execute(self._upsert(t.verdicts, values, ["draft_id", "version", "standard_id"]))
        return next(v for v in self.verdicts(draft_id) if v.version == version and v.standard_id == standard_id)

    def clear_verdict(self, draft_id: int, version: int, standard_id: str) -> None:
        with self._write() as conn:
            gone = conn.execute(
                delete(t.verdicts).where(
                    t.verdicts.c.draft_id == draft_id,
                    t.verdicts.c.version == version,
                    t.verdicts.c.standard_id == standard_id,
                )
            )
            if gone.rowcount == 0:
                raise StorageError(f"no verdict on {standard_id} of version {version}")

    def verdicts(self, draft_id: int) -> list[Verdict]:
        """Every verdict on the draft, oldest version first."""
        v = t.verdicts.c
        rows = self.rows(select(t.verdicts).where(v.draft_id == draft_id).order_by(v.version, v.standard_id, v.id))
        return [Verdict(**r) for r in rows]

    # Chat ---------------------------------------------------------------------------------------------

    def create_conversation(
        self, workspace_id: int, program: str, role: str, user_id: int | None = None
    ) -> Conversation:
        now = now_text()
        with self._write() as conn:
            new_id = conn.execute(
                insert(t.conversations)
                .values(
                    workspace_id=workspace_id,
                    user_id=user_id,
                    program=program,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
                .returning(t.conversations.c.id)
            ).scalar_one()
        return self.conversation(new_id)

    def conversation(self, conversation_id: int) -> Conversation:
        return Conversation(**self._one(t.conversations, conversation_id, "conversation"))

    def conversations(self, workspace_id: int, user_id: int | None = None) -> list[Conversation]:
        """A workspace's conversations; with ``user_id``, only that user's (None: those of personal mode)."""
        c = t.conversations.c
        owner = c.user_id.is_(None) if user_id is None else c.user_id == user_id
        rows = self.rows(
            select(t.conversations)
            .where(c.workspace_id == workspace_id, owner)
            .order_by(c.updated_at.desc(), c.id.desc())
        )
        return [Conversation(**_decoded(r)) for r in rows]

    def update_conversation(
        self, conversation_id: int, *, program: str | None = None, role: str | None = None, facts: dict | None = None
    ) -> None:
        current = self.conversation(conversation_id)
        with self._write() as conn:
            conn.execute(
                update(t.conversations)
                .where(t.conversations.c.id == conversation_id)
                .values(
                    program=program or current.program,
                    role=role or current.role,
                    facts=json.dumps(facts if facts is not None else current.facts),
                    updated_at=now_text(),
                )
            )

    def add_message(self, conversation_id: int, speaker: str, text: str, meta: dict | None = None) -> Message:
        now = now_text()
        c = t.conversations.c
        with self._write() as conn:
            if conn.execute(select(c.id).where(c.id == conversation_id)).first() is None:
                raise StorageError(f"no conversation with id {conversation_id}")
            new_id = conn.execute(
                insert(t.messages)
                .values(
                    conversation_id=conversation_id,
                    speaker=speaker,
                    text=_text(text),
                    meta=json.dumps(meta or {}),
                    created_at=now,
                )
                .returning(t.messages.c.id)
            ).scalar_one()
            if speaker == "user":
                conn.execute(
                    update(t.conversations)
                    .where(c.id == conversation_id, c.title == "")
                    .values(title=text.strip()[:80])
                )
                conn.execute(update(t.conversations).where(c.id == conversation_id).values(updated_at=now))
        return Message(**self._one(t.messages, new_id, "message"))

    def messages(self, conversation_id: int) -> list[Message]:
        m = t.messages.c
        rows = self.rows(select(t.messages).where(m.conversation_id == conversation_id).order_by(m.id))
        return [Message(**_decoded(r)) for r in rows]

    def message_conversation(self, message_id: int) -> int | None:
        return self.scalar(select(t.messages.c.conversation_id).where(t.messages.c.id == message_id))

    def set_feedback(self, message_id: int, helpful: bool | None) -> None:
        value = None if helpful is None else int(bool(helpful))
        m = t.messages.c
        with self._write() as conn:
            changed = conn.execute(
                update(t.messages).where(and_(m.id == message_id, m.speaker == "assistant")).values(feedback=value)
            )
            if changed.rowcount == 0:
                raise StorageError(f"no assistant message with id {message_id}")

    # CPT attestation tracker --------------------------------------------------------------------------

    def attestations(self, workspace_id: int) -> list[Attestation]:
        a = t.attestations.c
        rows = self.rows(select(t.attestations).where(a.workspace_id == workspace_id).order_by(a.project, a.id))
        return [Attestation(**r) for r in rows]

    def replace_attestations(self, workspace_id: int, entries: list[dict]) -> list[Attestation]:
        """The tracker is edited as a table: the whole table is saved at once, or nothing is."""
        clean = []
        for n, entry in enumerate(entries, 1):
            project = str(entry.get("project") or "").strip()
            name = str(entry.get("name") or "").strip()
            if not project and not name:
                continue
            if not project or not name:
                raise StorageError(f"attestation row {n}: both the project and the attester's name are needed")
            try:
                state = AttestationState(str(entry.get("state") or AttestationState.to_request.value))
            except ValueError as exc:
                known = ", ".join(s.value for s in AttestationState)
                raise StorageError(f"attestation row {n}: unknown state {entry.get('state')!r} ({known})") from exc
            relation = str(entry.get("relation") or "client").strip().lower().replace(" ", "_")
            clean.append(
                {
                    "workspace_id": workspace_id,
                    "project": project[:MAX_TITLE],
                    "name": name[:MAX_TITLE],
                    "relation": relation[:50],
                    "state": state.value,
                    "updated_at": now_text(),
                }
            )
        with self._write() as conn:
            conn.execute(delete(t.attestations).where(t.attestations.c.workspace_id == workspace_id))
            if clean:
                conn.execute(insert(t.attestations), clean)
        return self.attestations(workspace_id)


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


def _unreachable(exc: DBAPIError) -> bool:
    """A connection that failed or was lost, or a SQLite file locked for longer than the busy timeout."""
    message = str(exc.orig).lower()
    return any(
        words in message
        for words in (
            "connection", "server closed", "terminating", "database is locked", "could not connect",
            "the database system is", "shutting down", "timeout",
        )
    )  # fmt: skip
