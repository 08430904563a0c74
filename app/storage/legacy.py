"""SQLite files from before Alembic (schemas 1 to 3, numbered by ``PRAGMA user_version``), upgraded in place.

Such a file is first brought to schema 3 with the statements that made it (frozen below), then its rows are
copied into a new file that Alembic made at revision 0001, which replaces it: the upgraded file is then the
same, table for table, as a new one (its own tables were written by hand, and SQLite cannot alter a
constraint), so later migrations find what they expect. The old file stays untouched until the new one is
complete and checked.

Schema 1 had no accounts: workspace names were unique over the whole database and nothing had an owner. Its
workspaces table is rebuilt (SQLite cannot drop a constraint) with foreign keys off, outside any transaction
Alembic holds, so that the swap does not cascade into drafts.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from app.storage.errors import StorageError

LAST_LEGACY_VERSION = 3
ALEMBIC_USER_VERSION = 4  # what a file managed by Alembic says, so that a pre-Alembic certprep refuses it

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


BASELINE_REVISION = "0001"  # the Alembic revision that is schema 3
# parents first, so that every row copied finds the row it refers to
_TABLES = (
    "users", "sessions", "assignments", "audit", "workspaces", "drafts", "versions", "comments", "conversations",
    "messages", "attestations", "verdicts", "settings",
)  # fmt: skip


def is_legacy(path: Path) -> bool:
    """A certprep file made before Alembic: it has a schema number up to 3 and no Alembic revision."""
    with sqlite3.connect(path, timeout=30) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return 1 <= version <= LAST_LEGACY_VERSION and "alembic_version" not in tables


def upgrade_file(path: Path, make_baseline: Callable[[Path], None]) -> None:
    """Replace a pre-Alembic file by a baseline one holding the same rows. ``make_baseline`` creates an empty
    database at revision 0001 at the path it is given."""
    bring_to_schema_3(path)
    with sqlite3.connect(path, timeout=30) as old:
        old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {t: old.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in _TABLES}
    new = path.with_name(path.name + ".upgrading")
    for leftover in (new, *(new.with_name(new.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    make_baseline(new)
    conn = sqlite3.connect(new, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("ATTACH DATABASE ? AS old", (str(path),))
        conn.execute("BEGIN IMMEDIATE")
        for table in _TABLES:
            new_columns = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
            old_columns = {r[1] for r in conn.execute(f"PRAGMA old.table_info({table})")}
            columns = ", ".join(c for c in new_columns if c in old_columns)
            conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM old.{table}")
        # workspace ids are never reused: carry AUTOINCREMENT's high-water mark over
        conn.execute(
            "INSERT INTO main.sqlite_sequence(name, seq) SELECT 'workspaces', MAX(seq) FROM ("
            "SELECT seq FROM old.sqlite_sequence WHERE name = 'workspaces' UNION ALL "
            "SELECT seq FROM main.sqlite_sequence WHERE name = 'workspaces' UNION ALL "
            "SELECT MAX(id) FROM main.workspaces) WHERE seq IS NOT NULL HAVING COUNT(*) > 0"
        )
        conn.execute(
            "DELETE FROM main.sqlite_sequence WHERE name = 'workspaces' AND rowid <> "
            "(SELECT rowid FROM main.sqlite_sequence WHERE name = 'workspaces' ORDER BY seq DESC LIMIT 1)"
        )
        copied = {t: conn.execute(f"SELECT COUNT(*) FROM main.{t}").fetchone()[0] for t in _TABLES}
        if copied != counts or conn.execute("PRAGMA main.foreign_key_check").fetchall():
            conn.execute("ROLLBACK")
            raise StorageError(f"{path}: the upgrade did not copy every row; the file was left as it was")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE old")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    with open(new, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(new, path)
    for stale in ("-wal", "-shm"):
        path.with_name(path.name + stale).unlink(missing_ok=True)
        new.with_name(new.name + stale).unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def bring_to_schema_3(path: Path) -> None:
    """Upgrade a pre-Alembic file in place (1 -> 2 -> 3); a file already at 3, or new, is left alone."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_alembic = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if has_alembic or version == 0 or version >= LAST_LEGACY_VERSION:
            return  # new, already at 3, or Alembic's
        conn.execute("PRAGMA journal_mode=WAL")
        if version == 1:
            conn.execute("PRAGMA foreign_keys=OFF")
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
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version={LAST_LEGACY_VERSION}")
    finally:
        conn.close()
