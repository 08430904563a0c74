"""Servers going away under load: PostgreSQL stopped in the middle of saves, the Chroma server down. Real servers
on 127.0.0.1, bounded in count and time."""

from __future__ import annotations

import threading
import time

import pytest

from app.config import REPO_ROOT, Settings
from app.documents import read_document
from app.eligibility.check import check_application
from app.index.ingest import ingest
from app.index.store import StoreUnavailableError
from app.mapping.service import analyze_documents
from app.retrieval.service import search
from app.storage import Storage, StorageUnavailable
from app.storage.engine import dispose_all
from tests.conftest import ChromaServer
from tests.postgres import PostgresServer, binaries

pytestmark = [pytest.mark.slow, pytest.mark.server]


def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


@pytest.mark.skipif(binaries() is None, reason="PostgreSQL is not installed (make test installs it)")
def test_postgresql_stopped_mid_saves_half_writes_nothing_and_keeps_every_acknowledged_save(tmp_path):
    server = PostgresServer(tmp_path / "pg")
    server.start()
    try:
        url = server.new_database()
        db = Storage(url)
        draft = db.create_draft(db.create_workspace("W", "cpt").id, "D")
        acknowledged: list[tuple[int, str]] = []
        refusals: list[str] = []
        unexpected: list[str] = []
        done = threading.Event()

        def writer() -> None:
            n = 0
            while not done.is_set():
                n += 1
                text = f"save {n} " + "x" * 2000
                try:
                    acknowledged.append((db.save_version(draft.id, text, {"n": n}).number, text))
                except StorageUnavailable as exc:
                    refusals.append(str(exc))
                    time.sleep(0.05)
                except Exception as exc:  # reported by the assertion below
                    unexpected.append(repr(exc))
                    time.sleep(0.05)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            _until(lambda: len(acknowledged) >= 40, 60, "40 saves")
            server.stop()  # fast shutdown: open transactions are cut off mid-way
            _until(lambda: len(refusals) >= 5, 60, "saves refused while the server is down")
            before = len(acknowledged)
            server.start()
            _until(lambda: len(acknowledged) >= before + 40, 120, "40 more saves after the restart")
        finally:
            done.set()
            thread.join(timeout=60)
        assert unexpected == []
        assert all(
            r.startswith("the database cannot be reached") and r.endswith("this change was not saved") for r in refusals
        )
        assert all("\n" not in r for r in refusals)
        dispose_all()
        versions = Storage(url).versions(draft.id)
        stored = {v.number: v.text for v in versions}
        assert all(stored[number] == text for number, text in acknowledged), "an acknowledged save is missing"
        assert [v.number for v in versions] == list(range(1, len(versions) + 1))
        # at most one save committed whose answer was lost with the connection; none half-written
        assert len(acknowledged) <= len(versions) <= len(acknowledged) + 1
        assert all(v.analysis == {"n": int(v.text.split()[1])} for v in versions)
        assert Storage(url).draft(draft.id).text == versions[-1].text
    finally:
        dispose_all()
        server.stop()


def test_a_database_that_cannot_be_reached_is_one_clear_error(tmp_path):
    from tests.conftest import free_port

    with pytest.raises(
        StorageUnavailable, match=r"^the database at postgresql\+psycopg://certprep:\*\*\*@127\.0\.0\.1"
    ):
        Storage(f"postgresql://certprep:secret@127.0.0.1:{free_port()}/certprep")


def test_chroma_server_down_retrieval_says_so_while_rules_and_storage_go_on(tmp_path, fixture_knowledge, embedder):
    server = ChromaServer(tmp_path / "chroma")
    server.start()
    settings = Settings(
        data_dir=tmp_path / "data", knowledge_dir=fixture_knowledge, chroma_mode="server", chroma_url=server.url
    )
    try:
        ingest(settings, embedder=embedder)
        assert search(settings, "what happens to widgets outside tolerance", program="cwi", k=2)
    finally:
        server.stop()
    with pytest.raises(StoreUnavailableError, match=r"^the knowledge index is unavailable: cannot reach the Chroma"):
        search(settings, "what happens to widgets outside tolerance", program="cwi", k=2)
    db = Storage(settings.database)
    draft = db.create_draft(db.create_workspace("W", "cpt").id, "D", "kept")
    assert db.save_version(draft.id, "kept, v1").number == 1
    rules = Settings(data_dir=tmp_path / "data", chroma_mode="server", chroma_url=server.url)
    result = check_application(rules, REPO_ROOT / "examples/cpo/application.yaml").public()
    assert result["program"] == "cpo" and result["hours"]["total_counted"] == 1355
    narrative = read_document(REPO_ROOT / "examples/cpt/projects/food-waste.md", rules.max_upload_bytes)
    [project] = analyze_documents(rules, "cpt", [narrative]).projects  # the mapping needs no index
    assert {s.id: s.status for s in project.standards}["S6"] == "demonstrated"
