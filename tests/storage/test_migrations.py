"""Alembic owns the schema: a new database and an upgraded one both end up exactly as ``app/storage/schema.py``
says, and a SQLite file made before Alembic upgrades in place with nothing lost."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.accounts import Accounts, Principal
from app.config import REPO_ROOT, Settings
from app.storage import Storage, StorageError
from app.storage.access import WorkspaceStore
from app.storage.legacy import ALEMBIC_USER_VERSION
from app.storage.schema import metadata
from tests.conftest import FIXTURES

SCHEMA_3 = FIXTURES / "schema3.sqlite3"  # made by certprep 7c52aa9, before Alembic; every table holds a row


def _differences(storage: Storage) -> list:
    with storage.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


def test_a_new_database_is_migrated_to_exactly_the_declared_tables(database):
    storage = Storage(database)
    assert _differences(storage) == []
    assert storage.scalar(text("SELECT version_num FROM alembic_version")) == "0001"


def test_a_pre_alembic_sqlite_file_upgrades_in_place_with_everything_kept(tmp_path):
    path = tmp_path / "certprep.sqlite3"
    shutil.copy(SCHEMA_3, path)
    settings = Settings(data_dir=tmp_path)
    storage = Storage(path)
    assert _differences(storage) == []
    assert storage.scalar(text("PRAGMA user_version")) == ALEMBIC_USER_VERSION
    accounts = Accounts(storage, settings)
    ann = accounts.principal(accounts.sign_in("ann.lee", "Ann.Lee-long-password-1"))  # any case, as before
    assert ann.username == "Ann.Lee"
    assert accounts.get(Principal.operator(), "mia").candidates == ["Ann.Lee"]
    store = WorkspaceStore(storage, ann)
    [workspace] = store.workspaces()
    [draft] = store.drafts(workspace.id)
    assert draft.text.endswith("Edited.")
    [version] = store.versions(draft.id)
    assert version.analysis["standards"][1] == {"id": "S6", "status": "partial"}
    assert [c.text for c in store.comments(draft.id)] == ["Where is the baseline?"]
    verdicts = {v.standard_id: (v.engine_status, v.status, v.reason) for v in store.verdicts(draft.id)}
    assert verdicts == {"S1": ("demonstrated", "demonstrated", ""), "S6": ("partial", "missing", "no cause analysis")}
    [chat] = store.conversations(workspace.id)
    assert [m.feedback for m in store.messages(chat.id)] == [None, 1]
    assert store.attestations(workspace.id)[0].name == "Dr Chen"
    assert store.training_allowed(workspace.id) is True
    assert store.create_workspace("Next", "cpt").id == 3  # workspace 2 was deleted before the upgrade: not reused
    with pytest.raises(StorageError, match="already exists"):
        accounts.add(Principal.operator(), "ANN.LEE", "candidate", "another-long-password")
    assert storage.integrity_check() == "ok"


def test_a_file_from_a_newer_certprep_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "certprep.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute("PRAGMA user_version=99")
    with pytest.raises(StorageError, match="newer certprep"):
        Storage(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


_OPEN = "import sys; from app.storage import Storage; Storage(sys.argv[1]).create_workspace(sys.argv[2], 'cpt')"


def test_instances_starting_together_on_a_new_database_migrate_it_once(database):
    """Four processes open the same empty database at once: the migration runs under a lock, so each one
    either migrates or finds it done, and all four go on to save."""
    procs = [
        subprocess.Popen([sys.executable, "-c", _OPEN, database, f"W{n}"], cwd=REPO_ROOT, stderr=subprocess.PIPE)
        for n in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert sorted(w.name for w in Storage(database).workspaces()) == ["W0", "W1", "W2", "W3"]
