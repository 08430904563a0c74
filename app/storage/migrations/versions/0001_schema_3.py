"""Schema 3: accounts, workspaces, drafts and versions, comments, chat, attestations, reviewer verdicts.

A SQLite file made before Alembic is copied into a new database made by this revision (``app.storage.legacy``).

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_STATUSES = "('demonstrated', 'partial', 'missing')"


def _created(*columns: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Text(), nullable=False) for name in columns]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("email", sa.Text()),
        sa.Column("password_hash", sa.Text()),
        sa.Column("oidc_subject", sa.Text(), unique=True),
        sa.Column("disabled", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.Text()),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("last_sign_in", sa.Text()),
        sa.CheckConstraint("role IN ('candidate', 'mentor', 'staff', 'admin')", name="users_role"),
    )
    op.create_index("users_username_ci", "users", [sa.text("lower(username)")], unique=True)
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.Text(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        *_created("created_at", "expires_at", "last_seen"),
    )
    op.create_index("sessions_by_user", "sessions", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("mentor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        *_created("created_at"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_created("at", "actor", "actor_role", "action"),
        sa.Column("workspace_id", sa.Integer()),
        sa.Column("workspace", sa.Text()),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("audit_by_time", "audit", ["at"])
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        *_created("created_at", "updated_at"),
        sqlite_autoincrement=True,
    )
    op.create_index("workspace_name_per_owner", "workspaces", [sa.text("COALESCE(owner_id, 0)"), "name"], unique=True)
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.Text(), nullable=False, server_default="draft"),
        *_created("created_at", "updated_at"),
        sa.UniqueConstraint("workspace_id", "title", name="drafts_title_per_workspace"),
    )
    op.create_index("drafts_by_workspace", "drafts", ["workspace_id"])
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("analysis", sa.Text()),
        *_created("created_at"),
        sa.UniqueConstraint("draft_id", "number", name="versions_number_per_draft"),
    )
    op.create_index("versions_by_draft", "versions", ["draft_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("standard_id", sa.Text()),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("text", sa.Text(), nullable=False),
        *_created("created_at"),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False, server_default=""),
        sa.Column("facts", sa.Text(), nullable=False, server_default="{}"),
        *_created("created_at", "updated_at"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id", sa.Integer(), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("speaker", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("feedback", sa.Integer()),
        *_created("created_at"),
        sa.CheckConstraint("speaker IN ('user', 'assistant')", name="messages_speaker"),
        sa.CheckConstraint("feedback IN (0, 1)", name="messages_feedback"),
    )
    op.create_index("messages_by_conversation", "messages", ["conversation_id"])
    op.create_table(
        "attestations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        *_created("project", "name", "relation", "state", "updated_at"),
    )
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_created("standard_id", "engine_status", "status"),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("evidence", sa.Text()),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        *_created("created_at"),
        sa.UniqueConstraint("draft_id", "version", "standard_id", name="verdicts_one_per_standard"),
        sa.CheckConstraint(f"engine_status IN {_STATUSES}", name="verdicts_engine_status"),
        sa.CheckConstraint(f"status IN {_STATUSES}", name="verdicts_status"),
    )
    op.create_table(
        "settings",
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "settings", "verdicts", "attestations", "messages", "conversations", "comments", "versions", "drafts",
        "workspaces", "audit", "assignments", "sessions", "users",
    ):  # fmt: skip
        op.drop_table(table)
