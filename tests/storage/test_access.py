"""Access rules, enforced in the store: whatever front end asks, a user reaches only the workspaces the
rules give them, and a refusal looks exactly like a missing workspace."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import pytest
from sqlalchemy import text

from app.accounts import AccountRole, Accounts, Principal
from app.config import Settings
from app.storage import DraftStatus, Storage, StorageError
from app.storage.access import Permission, WorkspaceStore, allowed, may_screen
from app.storage.database import AccessDenied
from app.storage.legacy import ALEMBIC_USER_VERSION
from app.storage.models import Workspace

OPERATOR = Principal.operator()
ROLES = [("ann", "candidate"), ("ben", "candidate"), ("mia", "mentor"), ("sid", "staff"), ("ada", "admin")]
SECRET = "Client: Harbourview Dental, 14 clinics, churn 23% (confidential-7731)"


@pytest.fixture
def world(tmp_path, database):
    """Two candidates with one workspace each, a mentor assigned to Ann only, staff and an administrator; on
    SQLite and on PostgreSQL."""
    settings = Settings(data_dir=tmp_path, database_url=None if database.endswith(".sqlite3") else database)
    storage = Storage(settings.database)
    accounts = Accounts(storage, settings)
    people = {}
    for name, role in ROLES:
        accounts.add(OPERATOR, name, role, f"{name}-long-password-1", name.title())
        people[name] = WorkspaceStore(storage, accounts.principal(accounts.sign_in(name, f"{name}-long-password-1")))
    accounts.assign(OPERATOR, "mia", "ann")
    ann_ws = people["ann"].create_workspace("Ann — CPT 2027", "cpt")
    draft = people["ann"].create_draft(ann_ws.id, "Dental churn", SECRET)
    people["ann"].save_version(draft.id, SECRET, {"source": "Dental churn", "standards": []})
    chat = people["ann"].create_conversation(ann_ws.id, "cpt", "candidate")
    people["ann"].add_message(chat.id, "user", f"Is this S6? {SECRET}")
    ben_ws = people["ben"].create_workspace("Ben — CPT 2027", "cpt")
    return {
        "storage": storage,
        "accounts": accounts,
        "settings": settings,
        **people,
        "ann_ws": ann_ws,
        "ben_ws": ben_ws,
        "draft": draft,
        "chat": chat,
    }


def _every_read(store: WorkspaceStore, w):
    return [
        lambda: store.workspace(w["ann_ws"].id),
        lambda: store.open(w["ann_ws"].id),
        lambda: store.drafts(w["ann_ws"].id),
        lambda: store.draft(w["draft"].id),
        lambda: store.versions(w["draft"].id),
        lambda: store.comments(w["draft"].id),
        lambda: store.attestations(w["ann_ws"].id),
        lambda: store.get_setting(w["ann_ws"].id, "application"),
        lambda: store.export(w["ann_ws"].id),
        lambda: store.conversation(w["chat"].id),
        lambda: store.messages(w["chat"].id),
    ]


def test_another_candidate_cannot_reach_a_workspace_by_any_call_and_cannot_tell_it_exists(world):
    ben = world["ben"]
    assert [w.name for w in ben.workspaces()] == ["Ben — CPT 2027"]
    for call in _every_read(ben, world):
        with pytest.raises(AccessDenied) as refused:
            call()
        assert SECRET not in str(refused.value)
    with pytest.raises(AccessDenied) as real:
        ben.workspace(world["ann_ws"].id)
    with pytest.raises(AccessDenied) as missing:
        ben.workspace(999)
    assert str(real.value).replace(str(world["ann_ws"].id), "N") == str(missing.value).replace("999", "N")
    for change in (
        lambda: ben.save_text(world["draft"].id, "overwritten"),
        lambda: ben.create_draft(world["ann_ws"].id, "planted"),
        lambda: ben.delete_workspace(world["ann_ws"].id),
        lambda: ben.add_comment(world["draft"].id, "Ben", "hi"),
    ):
        with pytest.raises(AccessDenied):
            change()
    assert world["ann"].draft(world["draft"].id).text == SECRET


def test_a_mentor_sees_an_assigned_candidate_reviews_but_does_not_edit_and_loses_sight_when_unassigned(world):
    mia, draft = world["mia"], world["draft"]
    assert [w.name for w in mia.workspaces()] == ["Ann — CPT 2027"]  # not Ben's
    with pytest.raises(AccessDenied):
        mia.workspace(world["ben_ws"].id)
    assert mia.draft(draft.id).text == SECRET
    comment = mia.add_comment(draft.id, "typed name is ignored", "Where is the baseline?", "S10")
    assert comment.author == "Mia"
    mia.set_status(draft.id, DraftStatus.approved)
    for change in (
        lambda: mia.save_text(draft.id, "mentor rewrite"),
        lambda: mia.save_version(draft.id, "mentor rewrite"),
        lambda: mia.create_draft(world["ann_ws"].id, "mentor draft"),
        lambda: mia.replace_attestations(world["ann_ws"].id, []),
        lambda: mia.export(world["ann_ws"].id),
        lambda: mia.delete_workspace(world["ann_ws"].id),
    ):
        with pytest.raises(AccessDenied, match=r"can read .* but not"):
            change()
    world["accounts"].assign(OPERATOR, "mia", "ann", assigned=False)
    assert mia.workspaces() == []
    for call in _every_read(mia, world):
        with pytest.raises(AccessDenied):
            call()
    world["accounts"].assign(OPERATOR, "mia", "ann")
    assert mia.draft(draft.id).status is DraftStatus.approved


def test_staff_read_every_workspace_and_change_none_an_administrator_reads_none(world):
    sid, ada = world["sid"], world["ada"]
    assert {w.name for w in sid.workspaces()} == {"Ann — CPT 2027", "Ben — CPT 2027"}
    assert sid.draft(world["draft"].id).text == SECRET
    for change in (
        lambda: sid.save_text(world["draft"].id, "x"),
        lambda: sid.set_status(world["draft"].id, "approved"),
        lambda: sid.export(world["ann_ws"].id),
    ):
        with pytest.raises(AccessDenied):
            change()
    assert ada.workspaces() == []
    for call in _every_read(ada, world):
        with pytest.raises(AccessDenied):
            call()
    assert may_screen(sid.principal) and not may_screen(world["mia"].principal)


def test_conversations_are_their_users_own_even_inside_a_workspace_others_may_read(world):
    mia, ann = world["mia"], world["ann"]
    mine = mia.create_conversation(world["ann_ws"].id, "cpt", "mentor")
    mia.add_message(mine.id, "user", "What should I ask about S6?")
    assert [c.id for c in mia.conversations(world["ann_ws"].id)] == [mine.id]
    assert [c.id for c in ann.conversations(world["ann_ws"].id)] == [world["chat"].id]
    with pytest.raises(AccessDenied):
        ann.messages(mine.id)
    with pytest.raises(AccessDenied):
        mia.add_message(world["chat"].id, "user", "posing as Ann")


def test_the_rule_table(world):
    ws = Workspace(id=1, name="w", program="cpt", owner_id=10, created_at="", updated_at="")

    def who(role, user_id=20):
        return Principal(user_id=user_id, username="u", display_name="U", role=role)

    expected = {
        "owner": set(Permission) - {Permission.verdict},  # nobody marks their own work
        "assigned mentor": {Permission.read, Permission.review, Permission.verdict, Permission.chat},
        "other mentor": set(),
        "staff": {Permission.read, Permission.verdict, Permission.chat},
        "other candidate": set(),
        "admin": set(),
        "personal": set(Permission),
    }
    principals = {
        "owner": (who(AccountRole.candidate, 10), set()),
        "assigned mentor": (who(AccountRole.mentor), {10}),
        "other mentor": (who(AccountRole.mentor), {11}),
        "staff": (who(AccountRole.staff), set()),
        "other candidate": (who(AccountRole.candidate), set()),
        "admin": (who(AccountRole.admin), set()),
        "personal": (Principal.local(), set()),
    }
    for name, (principal, assigned) in principals.items():
        got = {p for p in Permission if allowed(principal, p, ws, assigned)}
        assert got == expected[name], name


def test_the_audit_log_records_who_did_what_to_which_workspace_and_never_the_text(world):
    ann = world["ann"]
    ann.open(world["ann_ws"].id)
    ann.export(world["ann_ws"].id)
    with pytest.raises(AccessDenied):
        world["ben"].drafts(world["ann_ws"].id)
    log = world["accounts"].audit.entries()
    actions = [(e.actor, e.action) for e in log if e.workspace_id == world["ann_ws"].id]
    expected = [("ann", "create"), ("ann", "change"), ("ann", "open"), ("ann", "export"), ("ben", "access denied")]
    assert set(expected) <= set(actions)
    csv_text = world["accounts"].audit.csv()
    assert "confidential-7731" not in csv_text and "Harbourview" not in csv_text
    assert csv_text.splitlines()[0] == "id,at,actor,actor_role,action,workspace_id,workspace,detail"


def test_an_export_holds_every_draft_version_analysis_comment_and_the_owners_chat(world):
    world["mia"].add_comment(world["draft"].id, "", "Add the baseline.", "S10")
    data = world["ann"].export(world["ann_ws"].id)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        content = json.loads(archive.read("workspace.json"))
        markdown = archive.read(next(n for n in names if n.startswith("drafts/"))).decode()
    assert content["format"] == "certprep-workspace/1"
    [draft] = content["drafts"]
    assert draft["text"] == SECRET and SECRET in markdown
    assert draft["versions"][0]["analysis"] == {"source": "Dental churn", "standards": []}
    assert draft["comments"][0]["text"] == "Add the baseline."
    assert content["conversations"][0]["messages"][0]["text"].endswith(SECRET)


def test_deleting_a_workspace_removes_its_rows_and_its_text_from_the_database_files(world):
    """Deleted rows are overwritten on disk. Debian's SQLite does that by default; others do not, which is why
    the store asks for it on every connection (checked first)."""
    storage, settings = world["storage"], world["settings"]
    if storage.dialect == "sqlite":
        assert storage.scalar(text("PRAGMA secure_delete")) == 1
    world["ann"].delete_workspace(world["ann_ws"].id)
    with pytest.raises(StorageError):
        storage.workspace(world["ann_ws"].id)
    for table in ("drafts", "conversations", "settings", "attestations"):
        count = text(f"SELECT COUNT(*) FROM {table} WHERE workspace_id = :id").bindparams(id=world["ann_ws"].id)
        assert storage.scalar(count) == 0
    for table in ("versions", "comments", "messages"):  # Ann's were the only ones
        assert storage.scalar(text(f"SELECT COUNT(*) FROM {table}")) == 0
    if storage.dialect == "sqlite":  # PostgreSQL reuses the vacuumed pages later; see the README
        raw = b"".join(p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file())
        assert b"confidential-7731" not in raw
    assert [w.name for w in world["sid"].workspaces()] == ["Ben — CPT 2027"]
    # a workspace id is never given again: the audit log and old links keep meaning what they meant
    world["ben"].delete_workspace(world["ben_ws"].id)  # the highest id: a plain rowid would hand it out again
    assert world["ben"].create_workspace("Ben's second", "cpt").id > world["ben_ws"].id


def test_a_schema_1_database_is_upgraded_with_its_work_kept_and_no_owners(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE workspaces (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, program TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE drafts (id INTEGER PRIMARY KEY,
            workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, title TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'draft', created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, UNIQUE (workspace_id, title));
        CREATE TABLE comments (id INTEGER PRIMARY KEY, draft_id INTEGER NOT NULL, standard_id TEXT,
            author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE conversations (id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL, program TEXT NOT NULL,
            role TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', facts TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        INSERT INTO workspaces VALUES (1, 'Old work', 'cpt', '2026-01-01', '2026-01-01');
        INSERT INTO drafts VALUES (1, 1, 'Project', 'kept text', 'draft', '2026-01-01', '2026-01-01');
        INSERT INTO conversations VALUES (1, 1, 'cpt', 'candidate', 'q', '{}', '2026-01-01', '2026-01-01');
        PRAGMA user_version=1;
        """
    )
    conn.close()
    storage = Storage(path)
    [workspace] = storage.workspaces()
    assert (workspace.name, workspace.owner_id) == ("Old work", None)
    assert storage.drafts(1)[0].text == "kept text"
    assert storage.conversations(1)[0].user_id is None
    assert storage.scalar(text("PRAGMA user_version")) == ALEMBIC_USER_VERSION  # an older certprep refuses it now
    assert storage.scalar(text("SELECT version_num FROM alembic_version")) == "0001"
    personal = WorkspaceStore(storage, Principal.local())
    assert personal.drafts(1)[0].text == "kept text"
    with pytest.raises(StorageError, match="already exists"):
        storage.create_workspace("Old work", "cpt")
