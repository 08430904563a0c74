"""Who is using certprep: accounts, their roles, and the principal every access decision is made for."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from app.chat.models import Role


class AccountRole(StrEnum):
    candidate = "candidate"
    mentor = "mentor"
    staff = "staff"
    admin = "admin"

    @property
    def answer_style(self) -> Role:
        """How the assistant answers this role; an administrator gets the rule-and-source style of staff."""
        return Role(self.value) if self.value in Role.__members__ else Role.staff


class Account(BaseModel):
    """An account as shown to administrators: never the password hash."""

    id: int
    username: str
    display_name: str
    role: AccountRole
    email: str | None = None
    sso: bool = Field(default=False, description="Linked to a single sign-on identity.")
    has_password: bool = True
    disabled: bool = False
    locked_until: str | None = None
    created_at: str
    last_sign_in: str | None = None
    mentors: list[str] = Field(default_factory=list, description="Usernames of the mentors assigned (candidates).")
    candidates: list[str] = Field(default_factory=list, description="Usernames of the candidates assigned (mentors).")


class Principal(BaseModel):
    """Whoever a request is made for. In personal mode there is one, with every right over the local data."""

    user_id: int | None
    username: str
    display_name: str
    role: AccountRole
    personal: bool = False

    @classmethod
    def local(cls, role: Role | str = Role.candidate) -> Principal:
        """The single user of personal mode; the role only chooses the answer style."""
        return cls(user_id=None, username="local", display_name="You", role=AccountRole(str(role)), personal=True)

    @classmethod
    def operator(cls) -> Principal:
        """The command line run on the server: whoever can open the database file administers it."""
        return cls(user_id=None, username="cli", display_name="Server operator", role=AccountRole.admin)


class AuditEntry(BaseModel):
    """One line of the audit log. By construction it holds ids, names and actions, never narrative text."""

    id: int
    at: str
    actor: str
    actor_role: str
    action: str
    workspace_id: int | None = None
    workspace: str | None = None
    detail: str = ""
