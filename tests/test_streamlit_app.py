"""The web app: served over HTTP (health endpoint) and its page driven with AppTest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from streamlit.testing.v1 import AppTest

from app.config import REPO_ROOT
from tests.conftest import free_port

pytestmark = pytest.mark.slow


def test_serve_answers_health_endpoint(tmp_path, fixture_knowledge):
    port = free_port()
    env = {
        **os.environ,
        "CERTPREP_DATA_DIR": str(tmp_path / "d"),
        "CERTPREP_KNOWLEDGE_DIR": str(fixture_knowledge),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert body == "ok", proc.stdout.read() if proc.poll() is not None else "server did not answer"
        # the index was built before serving
        assert (tmp_path / "d" / "chroma").is_dir()
        # the model and the index load at start, with no visitor: /ready says when (503 with the step until then)
        state = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as resp:
                    state = json.loads(resp.read())
                    break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503 and json.loads(exc.read())["step"]
                time.sleep(0.5)
        assert state is not None and state["ready"] is True and state["error"] is None, state
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_app_opens_on_chat_and_answers_with_cited_passages(monkeypatch, tmp_path, fixture_knowledge):
    monkeypatch.setenv("CERTPREP_KNOWLEDGE_DIR", str(fixture_knowledge))
    monkeypatch.setenv("CERTPREP_DEFAULT_PROGRAM", "cwi")
    at = AppTest.from_file(str(REPO_ROOT / "app/streamlit_app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Ask certprep"
    at.chat_input[0].set_value("How are rejected widgets handled?").run()
    assert not at.exception
    assert at.chat_message[1].expander[0].label.startswith("[1] Standard 2: Report Nonconforming Widgets")


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("narrative.py", "Narrative check"),
        ("application.py", "Application: CPT"),
        ("mentor.py", "Mentor review"),
        ("screening.py", "Batch screening"),
        ("agreement.py", "Reviewer agreement"),
        ("knowledge.py", "Knowledge browser: CPT"),
    ],
)
def test_every_page_is_reachable_from_the_navigation(page, title):
    at = AppTest.from_file(str(REPO_ROOT / "app/streamlit_app.py"), default_timeout=180).run()
    at.switch_page(str(REPO_ROOT / "app/ui/pages" / page)).run()
    assert not at.exception
    assert at.title[0].value == title


def test_workspace_and_role_survive_a_page_change(monkeypatch, tmp_path):
    monkeypatch.setenv("CERTPREP_DATA_DIR", str(tmp_path / "d"))
    from app.config import get_settings
    from app.storage import Storage

    get_settings.cache_clear()
    storage = Storage(get_settings().database_path)
    first = storage.create_workspace("My application", "cpt")
    desk = storage.create_workspace("BCPO staff desk", "cpo")
    at = AppTest.from_file(str(REPO_ROOT / "app/streamlit_app.py"), default_timeout=180).run()
    at.sidebar.selectbox(key="workspace-choice").set_value(first.id).run()
    at.sidebar.radio(key="role-choice").set_value("mentor").run()
    for page in ("narrative.py", "application.py", "mentor.py", "screening.py", "knowledge.py", "chat.py"):
        at.switch_page(str(REPO_ROOT / "app/ui/pages" / page)).run()
        assert not at.exception, page
        assert at.sidebar.selectbox(key="workspace-choice").value == first.id, page
        assert at.sidebar.radio(key="role-choice").value == "mentor", page
    assert desk.id != first.id
    get_settings.cache_clear()


@pytest.mark.parametrize("mode", ["personal", "organization"])
def test_a_database_that_cannot_be_reached_is_a_message_on_the_page_not_a_traceback(monkeypatch, mode):
    from tests.conftest import free_port

    monkeypatch.setenv("CERTPREP_MODE", mode)
    monkeypatch.setenv("CERTPREP_DATABASE_URL", f"postgresql://certprep:secret@127.0.0.1:{free_port()}/certprep")
    from app.config import get_settings
    from app.ui.auth import TOKEN_KEY

    get_settings.cache_clear()
    at = AppTest.from_file(str(REPO_ROOT / "app/streamlit_app.py"), default_timeout=180)
    if mode == "organization":  # a browser with a session cookie: checking it needs the database
        at.session_state[TOKEN_KEY] = "a-token"
    at.run()
    assert [e.value for e in at.exception] == []
    [message] = [e.value for e in at.error]
    assert message.startswith("the database at postgresql+psycopg://certprep:***@127.0.0.1")
    assert "secret" not in message and message.endswith("What was saved before is safe; reload the page in a moment.")
