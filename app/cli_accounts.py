"""``certprep users``, ``certprep workspaces`` and ``certprep audit``.

Account commands run as the server's operator: whoever can open the database file administers it, so
they need no password. Workspace commands act for one person: in organization mode they sign in as
``--user`` (password from the prompt or ``--password-stdin``) and the same ``WorkspaceStore`` as the app
decides what that person may see, export or delete.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

users_app = typer.Typer(help="Manage accounts (organization mode).", no_args_is_help=True)
workspaces_app = typer.Typer(help="List, export or delete workspaces, as one user.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _services():
    from app.accounts import Accounts
    from app.cli import _settings
    from app.storage import Storage

    settings = _settings()
    storage = Storage(settings.database)
    return settings, storage, Accounts(storage, settings)


def _password(from_stdin: bool, confirm: bool = True) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)


def _run(action):
    from app.storage import StorageError

    try:
        return action()
    except StorageError as exc:
        _fail(str(exc))


def _print_account(account, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(account.model_dump(mode="json"), indent=2))
    else:
        state = "disabled" if account.disabled else ("locked" if account.locked_until else "active")
        links = ", ".join(account.mentors or account.candidates)
        typer.echo(f"{account.username:<20} {account.role.value:<9} {state:<8} {account.display_name}  {links}")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="candidate, mentor, staff or admin.")] = "candidate",
    name: Annotated[str | None, typer.Option(help="Full name shown to others.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail; a single sign-on with it links to this account.")] = None,
    sso_only: Annotated[bool, typer.Option("--sso-only", help="No password: single sign-on only.")] = False,
    password_stdin: PasswordStdin = False,
    as_json: JsonOption = False,
) -> None:
    """Create an account; the password is asked twice (never shown, never logged)."""
    from app.accounts import AccountRole, Principal
    from app.accounts.service import check_username

    _, _, accounts = _services()
    _run(lambda: check_username(username))
    if role not in AccountRole.__members__:
        _fail(f"unknown role {role!r} (known: {', '.join(AccountRole.__members__)})")
    password = None if sso_only else _password(password_stdin)
    account = _run(lambda: accounts.add(Principal.operator(), username, role, password, name, email))
    _print_account(account, as_json)


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """Every account with its role, state and mentor assignments."""
    from app.accounts import Principal

    _, _, accounts = _services()
    found = accounts.list(Principal.operator())
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in found], indent=2))
        return
    if not found:
        typer.echo("no accounts yet: add one with `certprep users add NAME --role admin`")
    for account in found:
        _print_account(account, False)


@users_app.command("disable")
def users_disable(username: str, as_json: JsonOption = False) -> None:
    """Stop an account from signing in; its open sessions end at their next page load."""
    from app.accounts import Principal

    _, _, accounts = _services()
    _print_account(_run(lambda: accounts.set_disabled(Principal.operator(), username, True)), as_json)


@users_app.command("enable")
def users_enable(username: str, as_json: JsonOption = False) -> None:
    from app.accounts import Principal

    _, _, accounts = _services()
    _print_account(_run(lambda: accounts.set_disabled(Principal.operator(), username, False)), as_json)


@users_app.command("reset-password")
def users_reset_password(username: str, password_stdin: PasswordStdin = False, as_json: JsonOption = False) -> None:
    """Set a new password; also unlocks the account and ends its sessions."""
    from app.accounts import Principal

    _, _, accounts = _services()
    password = _password(password_stdin)
    _run(lambda: accounts.reset_password(Principal.operator(), username, password))
    _print_account(accounts.get(Principal.operator(), username), as_json)


@users_app.command("assign")
def users_assign(
    mentor: str,
    candidate: str,
    remove: Annotated[bool, typer.Option("--remove", help="End the assignment instead.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Let a mentor see a candidate's workspaces (or, with --remove, no longer)."""
    from app.accounts import Principal

    _, _, accounts = _services()
    _run(lambda: accounts.assign(Principal.operator(), mentor, candidate, not remove))
    _print_account(accounts.get(Principal.operator(), mentor), as_json)


def audit_cmd(
    csv: Annotated[bool, typer.Option("--csv", help="Print the whole log as CSV.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Most recent entries shown (not with --csv).")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The audit log: who signed in, opened, changed, exported or deleted which workspace, and when."""
    _, _, accounts = _services()
    if csv:
        typer.echo(accounts.audit.csv(), nl=False)
        return
    entries = accounts.audit.entries(limit=limit)
    if as_json:
        typer.echo(json.dumps([e.model_dump() for e in entries], indent=2))
        return
    for e in entries:
        where = f"{e.workspace} (#{e.workspace_id})" if e.workspace_id else ""
        typer.echo(f"{e.at[:19]}  {e.actor:<16} {e.action:<18} {where} {e.detail}".rstrip())


UserOption = Annotated[str | None, typer.Option("--user", help="Act as this account (organization mode).")]


def _with_store(user: str | None, password_stdin: bool, action):
    """Run ``action`` on the WorkspaceStore of this user: personal mode needs none, organization mode a
    sign-in (same lockout as the app), ended when the command is done."""
    from app.accounts import Principal
    from app.config import AccessMode
    from app.storage.access import WorkspaceStore

    settings, storage, accounts = _services()
    if settings.mode is AccessMode.personal:
        return _run(lambda: action(WorkspaceStore(storage, Principal.local())))
    if not user:
        _fail("accounts are on (organization mode): say who you are with --user NAME")
    token = _run(lambda: accounts.sign_in(user, _password(password_stdin, confirm=False)))
    try:
        return _run(lambda: action(WorkspaceStore(storage, accounts.principal(token))))
    finally:
        accounts.sign_out(token)


@workspaces_app.command("list")
def workspaces_list(user: UserOption = None, password_stdin: PasswordStdin = False, as_json: JsonOption = False):
    """The workspaces this user may open."""
    found = _with_store(user, password_stdin, lambda store: store.workspaces())
    if as_json:
        typer.echo(json.dumps([w.model_dump() for w in found], indent=2))
        return
    for w in found:
        typer.echo(f"{w.id:>5}  {w.program:<5} {w.name}")


@workspaces_app.command("export")
def workspaces_export(
    workspace_id: int,
    out: Annotated[Path, typer.Option(help="Where to write the .zip.")],
    user: UserOption = None,
    password_stdin: PasswordStdin = False,
):
    """Everything the workspace holds, as a .zip (its owner only)."""
    data = _with_store(user, password_stdin, lambda store: store.export(workspace_id))
    out.write_bytes(data)
    typer.echo(f"exported workspace {workspace_id} to {out} ({len(data):,} bytes)")


@workspaces_app.command("delete")
def workspaces_delete(
    workspace_id: int,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    user: UserOption = None,
    password_stdin: PasswordStdin = False,
):
    """Delete a workspace and everything in it, for good (its owner only)."""
    if not yes:
        typer.confirm(f"Delete workspace {workspace_id} and everything in it, for good?", abort=True)
    _with_store(user, password_stdin, lambda store: store.delete_workspace(workspace_id))
    typer.echo(f"deleted workspace {workspace_id}")
