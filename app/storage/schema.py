"""The tables, as SQLAlchemy sees them: one definition for SQLite and PostgreSQL alike.

Why these choices: timestamps are ISO-8601 text (UTC, microseconds), which sorts correctly and reads the same on
every engine; JSON columns are text the store encodes itself, so an old SQLite file needs no conversion; user
names are unique whatever their case (an index on ``lower(username)``). A change here needs a migration in
``app/storage/migrations/versions``; a test compares the migrated database with these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
)

VERDICT_STATUSES = ("demonstrated", "partial", "missing")  # the mapping engine's statuses, as stored
ROLES = ("candidate", "mentor", "staff", "admin")

metadata = MetaData()


def _in(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("email", Text),
    Column("password_hash", Text),
    Column("oidc_subject", Text, unique=True),
    Column("disabled", Integer, nullable=False, server_default="0"),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", Text),
    Column("created_at", Text, nullable=False),
    Column("last_sign_in", Text),
    _in("role", ROLES, "users_role"),
)
Index("users_username_ci", func.lower(users.c.username), unique=True)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Column("last_seen", Text, nullable=False),
)

assignments = Table(
    "assignments",
    metadata,
    Column("mentor_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("candidate_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Text, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("actor_role", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("workspace_id", Integer),
    Column("workspace", Text),
    Column("detail", Text, nullable=False, server_default=""),
)

workspaces = Table(
    "workspaces",
    metadata,
    # never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL): the audit log names workspaces by id
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("program", Text, nullable=False),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    sqlite_autoincrement=True,
)
Index("workspace_name_per_owner", func.coalesce(workspaces.c.owner_id, 0), workspaces.c.name, unique=True)

drafts = Table(
    "drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="draft"),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    UniqueConstraint("workspace_id", "title", name="drafts_title_per_workspace"),
)

versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("analysis", Text),
    Column("created_at", Text, nullable=False),
    UniqueConstraint("draft_id", "number", name="versions_number_per_draft"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
    Column("standard_id", Text),
    Column("author", Text, nullable=False),
    Column("author_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("program", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("facts", Text, nullable=False, server_default="{}"),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("speaker", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("meta", Text, nullable=False, server_default="{}"),
    Column("feedback", Integer),
    Column("created_at", Text, nullable=False),
    _in("speaker", ("user", "assistant"), "messages_speaker"),
    CheckConstraint("feedback IN (0, 1)", name="messages_feedback"),
)

attestations = Table(
    "attestations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    Column("project", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("relation", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("draft_id", Integer, ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("standard_id", Text, nullable=False),
    Column("engine_status", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("evidence", Text),
    Column("reviewer", Text, nullable=False),
    Column("reviewer_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", Text, nullable=False),
    UniqueConstraint("draft_id", "version", "standard_id", name="verdicts_one_per_standard"),
    _in("engine_status", VERDICT_STATUSES, "verdicts_engine_status"),
    _in("status", VERDICT_STATUSES, "verdicts_status"),
)

settings = Table(
    "settings",
    metadata,
    Column("workspace_id", Integer, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# named as the pre-Alembic SQLite schema named them, so an upgraded file and a new database look the same
Index("sessions_by_user", sessions.c.user_id)
Index("audit_by_time", audit.c.at)
Index("drafts_by_workspace", drafts.c.workspace_id)
Index("versions_by_draft", versions.c.draft_id)
Index("messages_by_conversation", messages.c.conversation_id)

WORKSPACE_TABLES = (drafts, versions, comments, conversations, messages, attestations, verdicts, settings)
