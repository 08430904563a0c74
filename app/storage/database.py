"""SQLite in the data directory: workspaces, drafts and their versions, analyses, comments, chat history
and feedback.

Why these choices: WAL so the UI can read while a save is written; one short connection per operation so
any thread (Streamlit runs each session in its own) can use the store; every write in one transaction
with ``synchronous=FULL`` so a save that returned is on disk even if the process is killed right after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

SCHEMA_VERSION = 3
MAX_TITLE = 200
MAX_TEXT_CHARS = 2_000_000
VERDICT_STATUSES = ("demonstrated", "partial", "missing")  # the mapping engine's statuses, as stored

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('candidate', 'mentor', 'staff', 'admin')),
    email TEXT COLLATE NOCASE,
    password_hash TEXT,
    oidc_subject TEXT UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    last_sign_in TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments (
    mentor_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    candidate_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (mentor_id, candidate_id)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    workspace_id INTEGER,
    workspace TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS workspaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the audit log and old links name workspaces by id
    name TEXT NOT NULL,
    program TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS workspace_name_per_owner ON workspaces(COALESCE(owner_id, 0), name);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (workspace_id, title)
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    analysis TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (draft_id, number)
);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    standard_id TEXT,
    author TEXT NOT NULL,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    program TEXT NOT NULL,
    role TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    facts TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    speaker TEXT NOT NULL CHECK (speaker IN ('user', 'assistant')),
    text TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    feedback INTEGER CHECK (feedback IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attestations (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY,
    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    standard_id TEXT NOT NULL,
    engine_status TEXT NOT NULL CHECK (engine_status IN ('demonstrated', 'partial', 'missing')),
    status TEXT NOT NULL CHECK (status IN ('demonstrated', 'partial', 'missing')),
    reason TEXT NOT NULL DEFAULT '',
    evidence TEXT,
    reviewer TEXT NOT NULL,
    reviewer_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (draft_id, version, standard_id)
);
CREATE TABLE IF NOT EXISTS settings (
    workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX IF NOT EXISTS drafts_by_workspace ON drafts(workspace_id);
CREATE INDEX IF NOT EXISTS versions_by_draft ON versions(draft_id);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit(at);
"""

# Schema 1 had no accounts: workspace names were unique over the whole database and nothing had an owner.
# The workspaces table is rebuilt (SQLite cannot drop a constraint), the other tables gain a column.
_MIGRATE_1_TO_2 = """
CREATE TABLE workspaces_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    program TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO workspaces_v2(id, name, program, created_at, updated_at)
    SELECT id, name, program, created_at, updated_at FROM workspaces;
DROP TABLE workspaces;
ALTER TABLE workspaces_v2 RENAME TO workspaces;
ALTER TABLE comments ADD COLUMN author_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
"""


class StorageError(ValueError):
    """A request the store refuses (unknown id, duplicate name, text too long); the message says which."""


class AccessDenied(StorageError):
    """The signed-in user may not do this. For something they may not even see, the message is the one a
    missing id gets, so that a refusal does not reveal what exists."""


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


def _decoded(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for column in _JSON_COLUMNS:
        if column in data:
            data[column] = json.loads(data[column]) if data[column] else None
    return data


class Storage:
    """The application's database. Cheap to create; safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path}: written by a newer certprep (schema {version}, this one knows {SCHEMA_VERSION})"
                )
            if version == 1:
                self._migrate_from_1(conn)
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @staticmethod
    def _migrate_from_1(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys=OFF")  # the table swap must not cascade into drafts
        conn.execute("BEGIN IMMEDIATE")
        try:
            accounts = _SCHEMA.split("CREATE TABLE IF NOT EXISTS workspaces")[0]  # users come first
            for statement in (accounts + _MIGRATE_1_TO_2).split(";"):
                if statement.strip():
                    conn.execute(statement)
            if conn.execute("PRAGMA foreign_key_check").fetchall():
                raise StorageError("the database's references are broken; it was not upgraded")
            conn.execute("PRAGMA user_version=2")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=FULL")
            # deleted rows are overwritten, not left in free pages: "delete my data" must really delete
            conn.execute("PRAGMA secure_delete=ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def transaction(self) -> Any:
        """One write transaction, for the account store that shares this database."""
        return self._write()

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return self._rows(sql, *args)

    def _rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._connect() as conn:
            return conn.execute(sql, args).fetchall()

    def _one(self, table: str, row_id: int, what: str) -> dict[str, Any]:
        """The row with this id, JSON columns decoded; a clear error when there is none."""
        rows = self._rows(f"SELECT * FROM {table} WHERE id = ?", row_id)
        if not rows:
            raise StorageError(f"no {what} with id {row_id}")
        return _decoded(rows[0])

    def integrity_check(self) -> str:
        return self._rows("PRAGMA integrity_check")[0][0]

    # Workspaces ---------------------------------------------------------------------------------------

    def create_workspace(self, name: str, program: str, owner_id: int | None = None) -> Workspace:
        name = _title(name, "workspace")
        now = now_text()
        try:
            with self._write() as conn:
                cur = conn.execute(
                    "INSERT INTO workspaces(name, program, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (name, program, owner_id, now, now),
                )
        except sqlite3.IntegrityError as exc:
            raise StorageError(f"a workspace named {name!r} already exists") from exc
        return self.workspace(cur.lastrowid)

    def workspaces(self) -> list[Workspace]:
        return [Workspace(**dict(r)) for r in self._rows("SELECT * FROM workspaces ORDER BY updated_at DESC, id")]

    def delete_workspace(self, workspace_id: int) -> None:
        """Every row of the workspace goes (drafts, versions, comments, chat, settings, attestations), is
        overwritten on disk (secure_delete) and is pushed out of the write-ahead log."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
            if cur.rowcount == 0:
                raise StorageError(f"no workspace with id {workspace_id}")
        with self._connect() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def workspace(self, workspace_id: int) -> Workspace:
        return Workspace(**self._one("workspaces", workspace_id, "workspace"))

    def set_workspace_program(self, workspace_id: int, program: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE workspaces SET program = ?, updated_at = ? WHERE id = ?", (program, now_text(), workspace_id)
            )

    def get_setting(self, workspace_id: int, key: str, default: Any = None) -> Any:
        rows = self._rows("SELECT value FROM settings WHERE workspace_id = ? AND key = ?", workspace_id, key)
        return json.loads(rows[0][0]) if rows else default

    def set_setting(self, workspace_id: int, key: str, value: Any) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings(workspace_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT(workspace_id, key) DO UPDATE SET value = excluded.value",
                (workspace_id, key, json.dumps(value)),
            )

    # Drafts and versions ------------------------------------------------------------------------------

    def create_draft(self, workspace_id: int, title: str, text: str = "") -> Draft:
        title = _title(title, "draft")
        now = now_text()
        self.workspace(workspace_id)
        try:
            with self._write() as conn:
                cur = conn.execute(
                    "INSERT INTO drafts(workspace_id, title, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (workspace_id, title, _text(text), now, now),
                )
                conn.execute("UPDATE workspaces SET updated_at = ? WHERE id = ?", (now, workspace_id))
        except sqlite3.IntegrityError as exc:
            raise StorageError(f"this workspace already has a draft named {title!r}") from exc
        return self.draft(cur.lastrowid)

    def drafts(self, workspace_id: int) -> list[Draft]:
        rows = self._rows("SELECT * FROM drafts WHERE workspace_id = ? ORDER BY id", workspace_id)
        return [Draft(**dict(r)) for r in rows]

    def draft(self, draft_id: int) -> Draft:
        return Draft(**self._one("drafts", draft_id, "draft"))

    def save_text(self, draft_id: int, text: str) -> Draft:
        """Autosave: the working text, without making a version."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE drafts SET text = ?, updated_at = ? WHERE id = ?", (_text(text), now_text(), draft_id)
            )
            if cur.rowcount == 0:
                raise StorageError(f"no draft with id {draft_id}")
        return self.draft(draft_id)

    def rename_draft(self, draft_id: int, title: str) -> None:
        title = _title(title, "draft")
        try:
            with self._write() as conn:
                conn.execute("UPDATE drafts SET title = ?, updated_at = ? WHERE id = ?", (title, now_text(), draft_id))
        except sqlite3.IntegrityError as exc:
            raise StorageError(f"this workspace already has a draft named {title!r}") from exc

    def set_status(self, draft_id: int, status: DraftStatus | str) -> None:
        try:
            status = DraftStatus(status)
        except ValueError as exc:
            known = ", ".join(s.value for s in DraftStatus)
            raise StorageError(f"unknown status {status!r} (known: {known})") from exc
        with self._write() as conn:
            conn.execute(
                "UPDATE drafts SET status = ?, updated_at = ? WHERE id = ?", (status.value, now_text(), draft_id)
            )

    def delete_draft(self, draft_id: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))

    def save_version(self, draft_id: int, text: str, analysis: dict | None = None) -> Version:
        """A numbered snapshot of the draft (and its analysis); also becomes the working text."""
        text = _text(text)
        now = now_text()
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM drafts WHERE id = ?", (draft_id,)).fetchone():
                raise StorageError(f"no draft with id {draft_id}")
            number = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE draft_id = ?", (draft_id,)
            ).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO versions(draft_id, number, text, analysis, created_at) VALUES (?, ?, ?, ?, ?)",
                (draft_id, number, text, json.dumps(analysis) if analysis is not None else None, now),
            )
            conn.execute("UPDATE drafts SET text = ?, updated_at = ? WHERE id = ?", (text, now, draft_id))
        return Version(**self._one("versions", cur.lastrowid, "version"))

    def versions(self, draft_id: int) -> list[Version]:
        rows = self._rows("SELECT * FROM versions WHERE draft_id = ? ORDER BY number", draft_id)
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
            if not conn.execute("SELECT 1 FROM drafts WHERE id = ?", (draft_id,)).fetchone():
                raise StorageError(f"no draft with id {draft_id}")
            cur = conn.execute(
                "INSERT INTO comments(draft_id, standard_id, author, author_id, text, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (draft_id, standard_id, author, author_id, _text(text), now_text()),
            )
        return Comment(**self._one("comments", cur.lastrowid, "comment"))

    def comments(self, draft_id: int) -> list[Comment]:
        rows = self._rows("SELECT * FROM comments WHERE draft_id = ? ORDER BY id", draft_id)
        return [Comment(**dict(r)) for r in rows]

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
        evidence = _quoted(evidence, checked.text, version)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO verdicts(draft_id, version, standard_id, engine_status, status, reason, evidence, "
                "reviewer, reviewer_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(draft_id, version, standard_id) DO UPDATE SET engine_status = excluded.engine_status, "
                "status = excluded.status, reason = excluded.reason, evidence = excluded.evidence, "
                "reviewer = excluded.reviewer, reviewer_id = excluded.reviewer_id, created_at = excluded.created_at",
                (
                    draft_id,
                    version,
                    standard_id,
                    engine,
                    status,
                    _text(reason),
                    evidence,
                    _title(reviewer or "reviewer", "reviewer"),
                    reviewer_id,
                    now_text(),
                ),
            )
        return next(v for v in self.verdicts(draft_id) if v.version == version and v.standard_id == standard_id)

    def clear_verdict(self, draft_id: int, version: int, standard_id: str) -> None:
        with self._write() as conn:
            cur = conn.execute(
                "DELETE FROM verdicts WHERE draft_id = ? AND version = ? AND standard_id = ?",
                (draft_id, version, standard_id),
            )
            if cur.rowcount == 0:
                raise StorageError(f"no verdict on {standard_id} of version {version}")

    def verdicts(self, draft_id: int) -> list[Verdict]:
        """Every verdict on the draft, oldest version first."""
        rows = self._rows("SELECT * FROM verdicts WHERE draft_id = ? ORDER BY version, standard_id, id", draft_id)
        return [Verdict(**dict(r)) for r in rows]

    # Chat ---------------------------------------------------------------------------------------------

    def create_conversation(
        self, workspace_id: int, program: str, role: str, user_id: int | None = None
    ) -> Conversation:
        now = now_text()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO conversations(workspace_id, user_id, program, role, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (workspace_id, user_id, program, role, now, now),
            )
        return self.conversation(cur.lastrowid)

    def conversation(self, conversation_id: int) -> Conversation:
        return Conversation(**self._one("conversations", conversation_id, "conversation"))

    def conversations(self, workspace_id: int, user_id: int | None = None) -> list[Conversation]:
        """A workspace's conversations; with ``user_id``, only that user's (None: those of personal mode)."""
        rows = self._rows(
            "SELECT * FROM conversations WHERE workspace_id = ? AND user_id IS ? ORDER BY updated_at DESC, id DESC",
            workspace_id,
            user_id,
        )
        return [Conversation(**_decoded(r)) for r in rows]

    def update_conversation(
        self, conversation_id: int, *, program: str | None = None, role: str | None = None, facts: dict | None = None
    ) -> None:
        current = self.conversation(conversation_id)
        with self._write() as conn:
            conn.execute(
                "UPDATE conversations SET program = ?, role = ?, facts = ?, updated_at = ? WHERE id = ?",
                (
                    program or current.program,
                    role or current.role,
                    json.dumps(facts if facts is not None else current.facts),
                    now_text(),
                    conversation_id,
                ),
            )

    def add_message(self, conversation_id: int, speaker: str, text: str, meta: dict | None = None) -> Message:
        now = now_text()
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone():
                raise StorageError(f"no conversation with id {conversation_id}")
            cur = conn.execute(
                "INSERT INTO messages(conversation_id, speaker, text, meta, created_at) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, speaker, _text(text), json.dumps(meta or {}), now),
            )
            if speaker == "user":
                conn.execute(
                    "UPDATE conversations SET title = CASE WHEN title = '' THEN ? ELSE title END, updated_at = ? "
                    "WHERE id = ?",
                    (text.strip()[:80], now, conversation_id),
                )
        return Message(**self._one("messages", cur.lastrowid, "message"))

    def messages(self, conversation_id: int) -> list[Message]:
        rows = self._rows("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", conversation_id)
        return [Message(**_decoded(r)) for r in rows]

    def set_feedback(self, message_id: int, helpful: bool | None) -> None:
        value = None if helpful is None else int(bool(helpful))
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE messages SET feedback = ? WHERE id = ? AND speaker = 'assistant'", (value, message_id)
            )
            if cur.rowcount == 0:
                raise StorageError(f"no assistant message with id {message_id}")

    # CPT attestation tracker --------------------------------------------------------------------------

    def attestations(self, workspace_id: int) -> list[Attestation]:
        rows = self._rows("SELECT * FROM attestations WHERE workspace_id = ? ORDER BY project, id", workspace_id)
        return [Attestation(**dict(r)) for r in rows]

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
            clean.append((workspace_id, project[:MAX_TITLE], name[:MAX_TITLE], relation[:50], state.value, now_text()))
        with self._write() as conn:
            conn.execute("DELETE FROM attestations WHERE workspace_id = ?", (workspace_id,))
            conn.executemany(
                "INSERT INTO attestations(workspace_id, project, name, relation, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                clean,
            )
        return self.attestations(workspace_id)
