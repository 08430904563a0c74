"""Accounts: passwords hashed and never kept in clear, lockout, expiring sessions, administrators only for
administration, and single sign-on identities mapped onto accounts (never onto a claimed role)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.accounts import AccountError, AccountRole, Accounts, Principal, SignInError
from app.config import Settings
from app.storage import Storage
from app.storage.database import AccessDenied

PASSWORD = "purple-otter-staircase-41"
OPERATOR = Principal.operator()


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, session_hours=8, session_idle_minutes=60, lockout_attempts=5)


@pytest.fixture
def accounts(settings, clock) -> Accounts:
    service = Accounts(Storage(settings.database_path), settings, clock=clock)
    service.add(OPERATOR, "admin", "admin", "an-admin-password-77")
    service.add(OPERATOR, "sam", "candidate", PASSWORD, "Sam Rivera", "sam@example.org")
    return service


def test_password_is_stored_only_as_an_argon2id_hash_and_never_logged(accounts, settings, caplog):
    caplog.set_level(logging.DEBUG)
    token = accounts.sign_in("sam", PASSWORD)
    with pytest.raises(SignInError):
        accounts.sign_in("sam", PASSWORD + "x")
    accounts.reset_password(OPERATOR, "sam", "another-long-password-9")
    stored = accounts.storage.scalar(text("SELECT password_hash FROM users WHERE username = 'sam'"))
    assert stored.startswith("$argon2id$")
    files = [settings.database_path, settings.database_path.with_name("certprep.sqlite3-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (PASSWORD, "another-long-password-9", token):
        assert secret.encode() not in raw
        assert secret not in caplog.text
    assert "password" not in accounts.audit.csv().lower().replace("wrong password", "").replace(
        "reset the password", ""
    )


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(accounts):
    with pytest.raises(SignInError) as wrong:
        accounts.sign_in("sam", "not-the-password-at-all")
    with pytest.raises(SignInError) as unknown:
        accounts.sign_in("nobody", "not-the-password-at-all")
    assert str(wrong.value) == str(unknown.value) == "wrong username or password"


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_lock_ends(accounts, clock):
    for _ in range(4):
        with pytest.raises(SignInError, match="wrong username or password"):
            accounts.sign_in("sam", "guess-guess-guess")
    assert accounts.sign_in("sam", PASSWORD)  # the fifth try is right: the counter starts again
    for _ in range(5):
        with pytest.raises(SignInError):
            accounts.sign_in("sam", "guess-guess-guess")
    with pytest.raises(SignInError, match="locked until 09:15 UTC"):
        accounts.sign_in("sam", PASSWORD)
    assert accounts.get(OPERATOR, "sam").locked_until
    clock.advance(minutes=14)
    with pytest.raises(SignInError, match="locked"):
        accounts.sign_in("sam", PASSWORD)
    clock.advance(minutes=2)
    assert accounts.sign_in("sam", PASSWORD)


def test_an_administrator_reset_unlocks_and_ends_open_sessions(accounts):
    token = accounts.sign_in("sam", PASSWORD)
    for _ in range(5):
        with pytest.raises(SignInError):
            accounts.sign_in("sam", "guess-guess-guess")
    accounts.reset_password(OPERATOR, "sam", "a-brand-new-password")
    assert accounts.principal(token) is None
    assert accounts.sign_in("sam", "a-brand-new-password")


def test_a_session_ends_after_its_hours_or_an_idle_hour(accounts, clock):
    token = accounts.sign_in("sam", PASSWORD)
    for _ in range(8):  # in use all day: every 59 minutes
        clock.advance(minutes=59)
        assert accounts.principal(token).username == "sam"
    clock.advance(minutes=30)  # 8 h 22 min after signing in
    assert accounts.principal(token) is None
    idle = accounts.sign_in("sam", PASSWORD)
    clock.advance(minutes=61)
    assert accounts.principal(idle) is None
    assert accounts.principal("made-up-token") is None


def test_disabling_an_account_ends_its_session_mid_way_and_stops_new_sign_ins(accounts):
    token = accounts.sign_in("sam", PASSWORD)
    assert accounts.principal(token).role is AccountRole.candidate
    accounts.set_disabled(OPERATOR, "sam")
    assert accounts.principal(token) is None
    with pytest.raises(SignInError, match="disabled"):
        accounts.sign_in("sam", PASSWORD)
    accounts.set_disabled(OPERATOR, "sam", False)
    assert accounts.sign_in("sam", PASSWORD)


def test_only_an_administrator_manages_accounts(accounts):
    sam = accounts.principal(accounts.sign_in("sam", PASSWORD))
    for action in (
        lambda: accounts.list(sam),
        lambda: accounts.add(sam, "eve", "staff", "eve-wants-staff-rights"),
        lambda: accounts.set_disabled(sam, "admin"),
        lambda: accounts.reset_password(sam, "admin", "taken-over-password"),
    ):
        with pytest.raises(AccessDenied, match="only an administrator"):
            action()
    admin = accounts.principal(accounts.sign_in("admin", "an-admin-password-77"))
    assert [a.username for a in accounts.list(admin)] == ["admin", "sam"]


def test_account_input_is_checked(accounts):
    with pytest.raises(AccountError, match="too short"):
        accounts.add(OPERATOR, "kim", "mentor", "short")
    with pytest.raises(AccountError, match="not a usable username"):
        accounts.add(OPERATOR, "kim lee", "mentor", PASSWORD)
    with pytest.raises(AccountError, match="unknown role"):
        accounts.add(OPERATOR, "kim", "superuser", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.add(OPERATOR, "SAM", "candidate", PASSWORD)
    with pytest.raises(AccountError, match="cannot be the username"):
        accounts.add(OPERATOR, "kimberly-lee", "mentor", "kimberly-lee")
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_disabled(OPERATOR, "admin")
    with pytest.raises(AccountError, match="not a mentor"):
        accounts.assign(OPERATOR, "sam", "sam")


# Single sign-on -----------------------------------------------------------------------------------

ISSUER = "http://127.0.0.1:9000"


def _claims(clock, **extra):
    return {"iss": ISSUER, "sub": "u-1001", "iat": clock().timestamp(), **extra}


def test_a_verified_email_links_an_identity_to_its_account_once_and_the_role_is_the_accounts(accounts, clock):
    claims = _claims(clock, email="sam@example.org", email_verified=True, role="admin", groups=["admin"])
    principal = accounts.principal_for_identity(claims)
    assert (principal.username, principal.role) == ("sam", AccountRole.candidate)
    # linked by issuer and subject from now on, even if the e-mail changes at the provider
    again = accounts.principal_for_identity(_claims(clock, email="sam.rivera@new.example.org"))
    assert again.username == "sam"


def test_an_unknown_or_unverified_identity_is_refused_unless_accounts_are_created_on_first_sign_on(
    accounts, settings, clock
):
    with pytest.raises(SignInError, match=r"no certprep account for eve@example\.org"):
        accounts.principal_for_identity(_claims(clock, sub="u-2", email="eve@example.org"))
    with pytest.raises(SignInError, match="no certprep account"):
        accounts.principal_for_identity(_claims(clock, sub="u-3", email="sam@example.org", email_verified=False))
    open_door = Accounts(accounts.storage, settings.model_copy(update={"sso_create_accounts": True}), clock=clock)
    created = open_door.principal_for_identity(
        _claims(clock, sub="u-2", email="eve@example.org", preferred_username="eve", name="Eve Example")
    )
    assert (created.username, created.display_name, created.role) == ("eve", "Eve Example", AccountRole.candidate)


def test_a_disabled_account_or_an_old_sign_on_is_refused(accounts, clock):
    accounts.principal_for_identity(_claims(clock, email="sam@example.org"))
    stale = _claims(clock)
    clock.advance(hours=9)
    with pytest.raises(SignInError, match="expired"):
        accounts.principal_for_identity(stale)
    accounts.set_disabled(OPERATOR, "sam")
    with pytest.raises(SignInError, match="disabled"):
        accounts.principal_for_identity(_claims(clock))
    with pytest.raises(SignInError, match="no subject"):
        accounts.principal_for_identity({"iss": ISSUER, "email": "sam@example.org"})
