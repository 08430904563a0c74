"""The database keeps what users save: across restarts, under concurrent writers, and through a kill. Every
test runs on a SQLite file and on a real PostgreSQL server (the ``database`` fixture)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest

from app.config import REPO_ROOT
from app.storage import AttestationState, DraftStatus, Storage, StorageError
from app.storage.engine import dispose_all


@pytest.fixture
def db(database) -> Storage:
    return Storage(database)


def test_saved_work_survives_a_restart(database, db):
    ws = db.create_workspace("Sam Rivera", "cpt")
    draft = db.create_draft(ws.id, "Food waste")
    db.save_text(draft.id, "First words.")
    db.save_version(draft.id, "Version one.", {"source": "Food waste", "standards": []})
    db.save_text(draft.id, "Version one, edited after the check.")
    db.add_comment(draft.id, "Alex", "Where is the baseline?", "S10")
    conv = db.create_conversation(ws.id, "cpt", "candidate")
    db.add_message(conv.id, "user", "What does standard 6 expect?")
    answer = db.add_message(conv.id, "assistant", "It expects causes.", {"chunk_ids": ["cpt/standard/S6"]})
    db.set_feedback(answer.id, helpful=True)

    dispose_all()  # a new process would start with no pooled connection
    reopened = Storage(database)
    [saved] = reopened.drafts(ws.id)
    assert saved.text == "Version one, edited after the check."
    [version] = reopened.versions(draft.id)
    assert (version.number, version.text, version.analysis["source"]) == (1, "Version one.", "Food waste")
    assert reopened.comments(draft.id)[0].standard_id == "S10"
    messages = reopened.messages(conv.id)
    assert [m.speaker for m in messages] == ["user", "assistant"]
    assert messages[1].feedback == 1 and messages[1].meta["chunk_ids"] == ["cpt/standard/S6"]
    assert reopened.conversation(conv.id).title == "What does standard 6 expect?"
    assert reopened.integrity_check() == "ok"
    if reopened.dialect == "sqlite":
        with sqlite3.connect(database) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_versions_are_numbered_per_draft(db):
    ws = db.create_workspace("W", "cpt")
    a, b = db.create_draft(ws.id, "A"), db.create_draft(ws.id, "B")
    assert [db.save_version(a.id, f"a{i}").number for i in range(3)] == [1, 2, 3]
    assert db.save_version(b.id, "b").number == 1
    assert db.draft(a.id).text == "a2"


def test_bad_requests_get_clear_errors_and_change_nothing(db):
    ws = db.create_workspace("W", "cpt")
    draft = db.create_draft(ws.id, "A", "kept")
    with pytest.raises(StorageError, match="already exists"):
        db.create_workspace(" W ", "cpo")
    with pytest.raises(StorageError, match="already has a draft named 'A'"):
        db.create_draft(ws.id, "A")
    with pytest.raises(StorageError, match="needs a name"):
        db.create_draft(ws.id, "   ")
    with pytest.raises(StorageError, match="no draft with id 999"):
        db.save_text(999, "x")
    with pytest.raises(StorageError, match="the limit is 2,000,000"):
        db.save_text(draft.id, "x" * 2_000_001)
    with pytest.raises(StorageError, match="unknown status 'done'"):
        db.set_status(draft.id, "done")
    with pytest.raises(StorageError, match="comment is empty"):
        db.add_comment(draft.id, "Alex", "  ")
    assert db.draft(draft.id).text == "kept" and db.draft(draft.id).status is DraftStatus.draft
    db.set_status(draft.id, "for review")
    assert db.draft(draft.id).status is DraftStatus.for_review


def test_feedback_only_on_assistant_messages(db):
    ws = db.create_workspace("W", "cpt")
    conv = db.create_conversation(ws.id, "cpt", "staff")
    question = db.add_message(conv.id, "user", "hi")
    with pytest.raises(StorageError, match="no assistant message"):
        db.set_feedback(question.id, True)


def test_attestation_table_is_saved_whole_or_not_at_all(db):
    ws = db.create_workspace("W", "cpt")
    saved = db.replace_attestations(
        ws.id,
        [
            {"project": "Food waste", "name": "Ana Costa", "relation": "Supervisor", "state": "signed"},
            {"project": "", "name": "", "relation": None, "state": None},  # an empty editor row is skipped
        ],
    )
    assert [(a.name, a.relation, a.state) for a in saved] == [("Ana Costa", "supervisor", AttestationState.signed)]
    with pytest.raises(StorageError, match="row 2: both the project and the attester's name"):
        db.replace_attestations(ws.id, [{"project": "P", "name": "N"}, {"project": "P", "name": ""}])
    with pytest.raises(StorageError, match="unknown state 'maybe'"):
        db.replace_attestations(ws.id, [{"project": "P", "name": "N", "state": "maybe"}])
    assert [a.name for a in db.attestations(ws.id)] == ["Ana Costa"]


def test_deleting_a_draft_removes_its_versions_and_comments(db):
    ws = db.create_workspace("W", "cpt")
    draft = db.create_draft(ws.id, "A")
    db.save_version(draft.id, "v1")
    db.add_comment(draft.id, "M", "note")
    db.delete_draft(draft.id)
    assert db.versions(draft.id) == [] and db.comments(draft.id) == []


def test_concurrent_writers_lose_nothing(db):
    ws = db.create_workspace("W", "cpt")
    drafts = [db.create_draft(ws.id, f"D{i}") for i in range(8)]
    errors = []

    def work(draft_id):
        try:
            for n in range(15):
                db.save_version(draft_id, f"text {n}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d.id,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all([v.number for v in db.versions(d.id)] == list(range(1, 16)) for d in drafts)


_WRITER = """
import sys
from app.storage import Storage
db = Storage(sys.argv[1])
ws = db.create_workspace("W", "cpt")
draft = db.create_draft(ws.id, "D")
n = 0
while True:
    n += 1
    db.save_version(draft.id, f"save {n} " + "x" * 2000)
    print(n, flush=True)
"""


def test_a_killed_writer_loses_no_acknowledged_save(database):
    path = database
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    acknowledged = 0
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 150:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = Storage(path)
    assert db.integrity_check() == "ok"
    numbers = [v.number for v in db.versions(db.drafts(db.workspaces()[0].id)[0].id)]
    assert numbers[:acknowledged] == list(range(1, acknowledged + 1))
    assert db.versions(1)[acknowledged - 1].text.startswith(f"save {acknowledged} ")
