"""``certprep users``, ``workspaces`` and ``audit``, and ``serve``'s refusal to share personal mode: run as
a user would, in a subprocess on a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.config import REPO_ROOT

PASSWORD = "a-good-long-password"


@pytest.fixture
def run(tmp_path):
    def run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, "CERTPREP_DATA_DIR": str(tmp_path), **env},
            timeout=120,
        )

    return run


def test_users_commands_manage_accounts_and_never_print_a_password(run, tmp_path):
    added = run("users", "add", "ada", "--role", "admin", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["role"] == "admin"
    for name, role in (("sam", "candidate"), ("mia", "mentor")):
        assert run("users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    assert run("users", "assign", "mia", "sam").returncode == 0
    listed = json.loads(run("users", "list", "--json").stdout)
    assert [(a["username"], a["candidates"], a["mentors"]) for a in listed] == [
        ("ada", [], []),
        ("mia", ["sam"], []),
        ("sam", [], ["mia"]),
    ]
    disabled = run("users", "disable", "sam", "--json")
    assert json.loads(disabled.stdout)["disabled"] is True
    reset = run("users", "reset-password", "sam", "--password-stdin", stdin="another-long-password\n")
    assert reset.returncode == 0
    audit = run("audit", "--csv")
    assert "created sam (candidate)" in audit.stdout and "disabled sam" in audit.stdout
    everything = "".join(r.stdout + r.stderr for r in (added, disabled, reset, audit))
    assert PASSWORD not in everything and "another-long-password" not in everything
    assert PASSWORD.encode() not in (tmp_path / "certprep.sqlite3").read_bytes()


def test_users_commands_refuse_bad_input_with_one_line_and_exit_2(run):
    bad_name = run("users", "add", "not ok!", "--password-stdin", stdin=PASSWORD + "\n")
    assert bad_name.returncode == 2 and bad_name.stderr.startswith("error: 'not ok!' is not a usable username")
    short = run("users", "add", "kim", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "too short" in short.stderr
    unknown = run("users", "disable", "nobody")
    assert unknown.returncode == 2 and unknown.stderr.strip() == "error: no account named 'nobody'"


def test_workspace_commands_act_for_one_signed_in_user(run, tmp_path):
    from app.accounts import Accounts, Principal
    from app.config import Settings
    from app.storage import Storage
    from app.storage.access import WorkspaceStore

    settings = Settings(data_dir=tmp_path)
    accounts = Accounts(Storage(settings.database_path), settings)
    for name in ("ann", "ben"):
        accounts.add(Principal.operator(), name, "candidate", PASSWORD)
    ann = WorkspaceStore(accounts.storage, accounts.principal(accounts.sign_in("ann", PASSWORD)))
    workspace = ann.create_workspace("Ann's application", "cpt")
    ann.create_draft(workspace.id, "Project", "Ann's confidential narrative")
    org = {"CERTPREP_MODE": "organization"}

    anonymous = run("workspaces", "list", **org)
    assert anonymous.returncode == 2 and "--user" in anonymous.stderr
    ben = run("workspaces", "list", "--user", "ben", "--password-stdin", "--json", stdin=PASSWORD + "\n", **org)
    assert ben.returncode == 0 and json.loads(ben.stdout) == []
    out = tmp_path / "export.zip"
    stolen = run(
        "workspaces", "export", str(workspace.id), "--out", str(out), "--user", "ben", "--password-stdin",
        stdin=PASSWORD + "\n", **org,
    )  # fmt: skip
    assert stolen.returncode == 2 and stolen.stderr.strip() == f"error: no workspace with id {workspace.id}"
    assert not out.exists()
    mine = run(
        "workspaces", "export", str(workspace.id), "--out", str(out), "--user", "ann", "--password-stdin",
        stdin=PASSWORD + "\n", **org,
    )  # fmt: skip
    assert mine.returncode == 0 and out.stat().st_size > 0
    wrong = run("workspaces", "list", "--user", "ann", "--password-stdin", stdin="not-her-password\n", **org)
    assert wrong.returncode == 2 and "wrong username or password" in wrong.stderr
    deleted = run(
        "workspaces", "delete", str(workspace.id), "--yes", "--user", "ann", "--password-stdin",
        stdin=PASSWORD + "\n", **org,
    )  # fmt: skip
    assert deleted.returncode == 0
    assert accounts.storage.workspaces() == []


def test_serve_refuses_to_share_personal_mode_or_an_organization_without_an_administrator(run):
    shared = run("serve", "--host", "0.0.0.0", "--skip-ingest")
    assert shared.returncode == 2
    assert shared.stderr.startswith("error: 0.0.0.0 is reachable from other computers and accounts are off")
    assert len(shared.stderr.strip().splitlines()) == 1
    nobody = run("serve", "--host", "0.0.0.0", "--skip-ingest", CERTPREP_MODE="organization")
    assert nobody.returncode == 2 and "needs an administrator" in nobody.stderr
