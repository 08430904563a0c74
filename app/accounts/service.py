"""Accounts, sign-in and sessions, for the web app and the ``certprep users`` commands alike.

Passwords are hashed with Argon2id (argon2-cffi) and never stored, logged or returned. A session is a
random token the browser keeps in an HttpOnly cookie; the database holds only its SHA-256, so a copy of
the database does not let anyone in. Administrative calls take the acting principal and refuse anyone
who is not an administrator, whichever front end makes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update

from app.accounts.audit import Action, AuditLog
from app.accounts.models import Account, AccountRole, Principal
from app.config import Settings
from app.storage.database import AccessDenied, Storage, StorageError
from app.storage.schema import assignments, sessions, users

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MAX_PASSWORD = 1024
_HASHER = PasswordHasher()
# verified against when the username is unknown, so that a wrong name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
_LAST_SEEN_EVERY = timedelta(seconds=60)


class AccountError(StorageError):
    """A request about accounts that cannot be done as asked; the message says why."""


class SignInError(AccountError):
    """Sign-in refused. Wrong name and wrong password get the same message."""


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise AccountError(
            f"{username!r} is not a usable username: 2 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return username


class Accounts:
    def __init__(self, storage: Storage, settings: Settings, clock: Callable[[], datetime] | None = None):
        self.storage = storage
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.audit = AuditLog(storage)

    # Reading -----------------------------------------------------------------------------------------

    def _row(self, username: str) -> dict[str, Any] | None:
        name = (username or "").strip().lower()
        rows = self.storage.rows(select(users).where(func.lower(users.c.username) == name))
        return rows[0] if rows else None

    def _account(self, row: dict[str, Any]) -> Account:
        def names(joined: Any, where: Any) -> list[str]:
            query = select(users.c.username).join(assignments, users.c.id == joined).where(where)
            return [r["username"] for r in self.storage.rows(query.order_by(users.c.username))]

        mentors = names(assignments.c.mentor_id, assignments.c.candidate_id == row["id"])
        candidates = names(assignments.c.candidate_id, assignments.c.mentor_id == row["id"])
        return Account(
            id=row["id"],
            username=row["username"],
            display_name=row["display_name"],
            role=row["role"],
            email=row["email"],
            sso=bool(row["oidc_subject"]),
            has_password=bool(row["password_hash"]),
            disabled=bool(row["disabled"]),
            locked_until=row["locked_until"] if self._locked(row) else None,
            created_at=row["created_at"],
            last_sign_in=row["last_sign_in"],
            mentors=mentors,
            candidates=candidates,
        )

    def _locked(self, row: dict[str, Any]) -> bool:
        until = _parse(row["locked_until"])
        return bool(until and until > self.clock())

    def _require_admin(self, actor: Principal) -> None:
        if actor.role is not AccountRole.admin:
            raise AccessDenied("only an administrator can manage accounts")

    def _existing(self, username: str) -> dict[str, Any]:
        row = self._row(username)
        if row is None:
            raise AccountError(f"no account named {username!r}")
        return row

    def count(self, role: AccountRole | None = None) -> int:
        query = select(func.count()).select_from(users)
        if role is not None:
            query = query.where(users.c.role == role.value, users.c.disabled == 0)
        return self.storage.scalar(query)

    def list(self, actor: Principal) -> list[Account]:
        self._require_admin(actor)
        return [self._account(r) for r in self.storage.rows(select(users).order_by(users.c.username))]

    def get(self, actor: Principal, username: str) -> Account:
        self._require_admin(actor)
        return self._account(self._existing(username))

    def display_names(self) -> dict[int, str]:
        """Account id -> "Name (username)", to label other people's workspaces."""
        rows = self.storage.rows(select(users.c.id, users.c.username, users.c.display_name))
        return {r["id"]: f"{r['display_name']} ({r['username']})" for r in rows}

    # Administration ----------------------------------------------------------------------------------

    def _check_password(self, username: str, password: str) -> None:
        if len(password) < self.settings.min_password_length:
            raise AccountError(f"the password is too short: at least {self.settings.min_password_length} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
        if password.strip().lower() == username.lower():
            raise AccountError("the password cannot be the username")

    def add(
        self,
        actor: Principal,
        username: str,
        role: AccountRole | str,
        password: str | None,
        display_name: str | None = None,
        email: str | None = None,
    ) -> Account:
        """A new account. Without a password it can only sign in through single sign-on."""
        self._require_admin(actor)
        username = check_username(username)
        try:
            role = AccountRole(str(role))
        except ValueError as exc:
            raise AccountError(f"unknown role {role!r} (known: {', '.join(r.value for r in AccountRole)})") from exc
        if password is not None:
            self._check_password(username, password)
        email = (email or "").strip() or None
        if email and "@" not in email:
            raise AccountError(f"{email!r} is not an e-mail address")
        if self._row(username):
            raise AccountError(f"an account named {username!r} already exists")
        with self.storage.transaction() as conn:
            conn.execute(
                insert(users).values(
                    username=username,
                    display_name=(display_name or "").strip()[:120] or username,
                    role=role.value,
                    email=email,
                    password_hash=_HASHER.hash(password) if password is not None else None,
                    created_at=self._now(),
                )
            )
        self.audit.record(actor, Action.account, detail=f"created {username} ({role.value})")
        return self.get(actor, username)

    def set_disabled(self, actor: Principal, username: str, disabled: bool = True) -> Account:
        """A disabled account's sessions end at once: its next page load asks for a sign-in, which fails."""
        self._require_admin(actor)
        row = self._existing(username)
        if disabled and row["role"] == AccountRole.admin and self.count(AccountRole.admin) <= 1 and not row["disabled"]:
            raise AccountError("this is the last active administrator; add another before disabling it")
        with self.storage.transaction() as conn:
            conn.execute(update(users).where(users.c.id == row["id"]).values(disabled=int(disabled)))
            if disabled:
                conn.execute(delete(sessions).where(sessions.c.user_id == row["id"]))
        self.audit.record(actor, Action.account, detail=f"{'disabled' if disabled else 'enabled'} {row['username']}")
        return self.get(actor, username)

    def reset_password(self, actor: Principal, username: str, password: str) -> None:
        """Sets a new password, unlocks the account and ends its sessions."""
        self._require_admin(actor)
        row = self._existing(username)
        self._check_password(row["username"], password)
        with self.storage.transaction() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == row["id"])
                .values(password_hash=_HASHER.hash(password), failed_attempts=0, locked_until=None)
            )
            conn.execute(delete(sessions).where(sessions.c.user_id == row["id"]))
        self.audit.record(actor, Action.account, detail=f"reset the password of {row['username']}")

    def assign(self, actor: Principal, mentor: str, candidate: str, assigned: bool = True) -> None:
        self._require_admin(actor)
        m, c = self._existing(mentor), self._existing(candidate)
        if m["role"] != AccountRole.mentor:
            raise AccountError(f"{m['username']} is not a mentor (role: {m['role']})")
        if c["role"] != AccountRole.candidate:
            raise AccountError(f"{c['username']} is not a candidate (role: {c['role']})")
        with self.storage.transaction() as conn:
            pair = (assignments.c.mentor_id == m["id"], assignments.c.candidate_id == c["id"])
            conn.execute(delete(assignments).where(*pair))
            if assigned:
                conn.execute(
                    insert(assignments).values(mentor_id=m["id"], candidate_id=c["id"], created_at=self._now())
                )
        verb = "assigned" if assigned else "unassigned"
        self.audit.record(actor, Action.account, detail=f"{verb} mentor {m['username']} to {c['username']}")

    # Signing in --------------------------------------------------------------------------------------

    def _now(self) -> str:
        return self.clock().isoformat(timespec="microseconds")

    def sign_in(self, username: str, password: str) -> str:
        """A new session token for the right password; SignInError otherwise. Repeated failures lock the
        account for ``lockout_minutes`` (checked before the password, so guessing a locked account is useless)."""
        row = self._row(username)
        if row is None or not row["password_hash"]:
            with contextlib.suppress(VerificationError):
                _HASHER.verify(_DUMMY_HASH, password or "")
            self.audit.record(str(username)[:64] or "?", Action.sign_in_failed, detail="unknown user")
            raise SignInError("wrong username or password")
        if self._locked(row):
            self.audit.record(row["username"], Action.sign_in_failed, detail="account locked")
            until = _parse(row["locked_until"]).strftime("%H:%M UTC")
            raise SignInError(f"too many failed sign-ins: this account is locked until {until}")
        try:
            _HASHER.verify(row["password_hash"], password or "")
        except (VerificationError, InvalidHashError):
            self._failed(row)
            raise SignInError("wrong username or password") from None
        if row["disabled"]:
            self.audit.record(row["username"], Action.sign_in_failed, detail="account disabled")
            raise SignInError("this account is disabled; ask an administrator")
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.storage.transaction() as conn:
            user = update(users).where(users.c.id == row["id"])
            if _HASHER.check_needs_rehash(row["password_hash"]):
                conn.execute(user.values(password_hash=_HASHER.hash(password)))
            conn.execute(user.values(failed_attempts=0, locked_until=None, last_sign_in=now.isoformat()))
            conn.execute(
                insert(sessions).values(
                    token_hash=_hash_token(token),
                    user_id=row["id"],
                    created_at=now.isoformat(),
                    expires_at=(now + timedelta(hours=self.settings.session_hours)).isoformat(),
                    last_seen=now.isoformat(),
                )
            )
        self.audit.record(self._principal(row), Action.sign_in)
        return token

    def _failed(self, row: dict[str, Any]) -> None:
        failures = row["failed_attempts"] + 1
        locked = failures >= self.settings.lockout_attempts
        until = (self.clock() + timedelta(minutes=self.settings.lockout_minutes)).isoformat() if locked else None
        with self.storage.transaction() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == row["id"])
                .values(failed_attempts=0 if locked else failures, locked_until=until)
            )
        self.audit.record(row["username"], Action.locked if locked else Action.sign_in_failed, detail="wrong password")

    @staticmethod
    def _principal(row: dict[str, Any]) -> Principal:
        return Principal(
            user_id=row["id"], username=row["username"], display_name=row["display_name"], role=row["role"]
        )

    def principal(self, token: str | None) -> Principal | None:
        """The signed-in user of a session token, or None when the token is unknown, expired (absolute or
        idle) or its account is disabled. Checked on every page load, so a change takes effect at once."""
        if not token:
            return None
        query = (
            select(sessions, users.c.username, users.c.display_name, users.c.role, users.c.disabled)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == _hash_token(token))
        )
        rows = self.storage.rows(query)
        if not rows:
            return None
        session = rows[0]
        now = self.clock()
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        if session["disabled"] or _parse(session["expires_at"]) <= now or _parse(session["last_seen"]) + idle <= now:
            self.sign_out(token)
            return None
        if now - _parse(session["last_seen"]) >= _LAST_SEEN_EVERY:
            with self.storage.transaction() as conn:
                conn.execute(
                    update(sessions)
                    .where(sessions.c.token_hash == _hash_token(token))
                    .values(last_seen=now.isoformat())
                )
        return self._principal({**session, "id": session["user_id"]})

    def sign_out(self, token: str | None) -> None:
        if token:
            with self.storage.transaction() as conn:
                conn.execute(delete(sessions).where(sessions.c.token_hash == _hash_token(token)))

    # Single sign-on ----------------------------------------------------------------------------------

    def principal_for_identity(self, claims: dict[str, Any], *, record: bool = False) -> Principal:
        """Map an OpenID Connect identity (``st.user``) onto an account: by issuer and subject once linked,
        else by verified e-mail to an account not yet linked (which is then linked), else, when
        ``sso_create_accounts`` is on, a new candidate account. The account's role applies, never a claim's."""
        subject, issuer = str(claims.get("sub") or ""), str(claims.get("iss") or "")
        if not subject:
            raise SignInError("the identity provider sent no subject ('sub'); it cannot be matched to an account")
        issued = claims.get("iat")
        if isinstance(issued, int | float):
            age = self.clock() - datetime.fromtimestamp(issued, UTC)
            if age > timedelta(hours=self.settings.session_hours):
                raise SignInError("your single sign-on session has expired: sign in again")
        key = f"{issuer}|{subject}"
        rows = self.storage.rows(select(users).where(users.c.oidc_subject == key))
        row = rows[0] if rows else None
        email = str(claims.get("email") or "").strip()
        if row is None and email and claims.get("email_verified") is not False:
            same = select(users).where(func.lower(users.c.email) == email.lower(), users.c.oidc_subject.is_(None))
            rows = self.storage.rows(same)
            if len(rows) == 1:
                row = rows[0]
                with self.storage.transaction() as conn:
                    conn.execute(update(users).where(users.c.id == row["id"]).values(oidc_subject=key))
        if row is None and self.settings.sso_create_accounts:
            row = self._create_from_identity(claims, key, email)
        if row is None:
            raise SignInError(
                f"there is no certprep account for {email or subject}: ask an administrator to create one"
            )
        if row["disabled"]:
            raise SignInError("this account is disabled; ask an administrator")
        principal = self._principal(row)
        if record:
            with self.storage.transaction() as conn:
                conn.execute(update(users).where(users.c.id == row["id"]).values(last_sign_in=self._now()))
            self.audit.record(principal, Action.sign_in, detail="single sign-on")
        return principal

    def _create_from_identity(self, claims: dict[str, Any], key: str, email: str) -> dict[str, Any]:
        base = re.sub(r"[^A-Za-z0-9._@-]", "", str(claims.get("preferred_username") or email or "user"))[:60]
        base = base if _USERNAME.match(base) else "user"
        username, n = base, 1
        while self._row(username):
            n += 1
            username = f"{base}{n}"
        with self.storage.transaction() as conn:
            conn.execute(
                insert(users).values(
                    username=username,
                    display_name=str(claims.get("name") or username)[:120],
                    role="candidate",
                    email=email or None,
                    oidc_subject=key,
                    created_at=self._now(),
                )
            )
        self.audit.record("single sign-on", Action.account, detail=f"created {username} (candidate)")
        return self._row(username)
