"""Two app instances, one PostgreSQL database, one Chroma server: what one instance saves, the other reads, and
a comment added through one appears in the other after a rerun. Instance A runs the pages in this process;
instance B is another Python process with its own Streamlit runtime, engine and connection pool."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from app.accounts import Accounts, Principal
from app.config import REPO_ROOT, get_settings
from app.index.ingest import ingest
from app.storage import Storage
from app.ui.auth import TOKEN_KEY
from tests.ui.conftest import PAGES, TIMEOUT, errors

pytestmark = [pytest.mark.slow, pytest.mark.server]

TEXT = (
    "Harbourview Dental lost 23% of its patients in a year (confidential-6610). I interviewed twelve front-desk "
    "staff and compared recall logs, found that reminders went out after the slot had gone, and moved them to "
    "a week before. Churn fell to 11% in six months."
)
COMMENT = "Which recall logs did you compare, and over what period?"

# Instance B: one page run as one user, in its own process; prints what the page shows (and the draft ids).
_INSTANCE_B = """
import json, sys
from streamlit.testing.v1 import AppTest
from app.ui.auth import TOKEN_KEY
page, token, query, action = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
at = AppTest.from_file(page, default_timeout=180)
at.session_state[TOKEN_KEY] = token
for key, value in query.items():
    at.query_params[key] = str(value)
at.run()
for kind, key, value in action:
    widget = getattr(at, kind)(key=key)
    widget.click().run() if kind == "button" else widget.set_value(value)
parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success") for e in at.get(kind)]
parts += [str(t.value) for t in at.text_area] + [e.label for e in at.expander]
print(json.dumps({"shown": "\\n".join(map(str, parts)), "errors": [e.value for e in at.exception]}))
"""


def _instance_b(env: dict, page: str, token: str, query: dict, action: list | None = None) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _INSTANCE_B,
            str(PAGES / f"{page}.py"),
            token,
            json.dumps(query),
            json.dumps(action or []),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_draft_saved_through_one_instance_is_read_through_the_other_and_comments_cross_back(
    monkeypatch, tmp_path, postgres_server, chroma_server, embedder
):
    shared = {
        "CERTPREP_MODE": "organization",
        "CERTPREP_DATABASE_URL": postgres_server.new_database(),
        "CERTPREP_CHROMA_MODE": "server",
        "CERTPREP_CHROMA_URL": chroma_server,
    }
    for key, value in shared.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CERTPREP_DATA_DIR", str(tmp_path / "instance-a"))
    get_settings.cache_clear()
    settings = get_settings()
    ingest(settings, embedder=embedder)  # one index, on the shared server
    accounts = Accounts(Storage(settings.database), settings)
    for name, role in (("ann", "candidate"), ("mia", "mentor")):
        accounts.add(Principal.operator(), name, role, f"{name}-long-password-1", name.title())
    accounts.assign(Principal.operator(), "mia", "ann")
    ann = accounts.sign_in("ann", "ann-long-password-1")
    mia = accounts.sign_in("mia", "mia-long-password-1")
    env_b = {**os.environ, **shared, "CERTPREP_DATA_DIR": str(tmp_path / "instance-b")}  # nothing on disk shared

    # instance A: Ann pastes her narrative; it is checked and saved
    a = AppTest.from_file(str(PAGES / "narrative.py"), default_timeout=TIMEOUT)
    a.session_state[TOKEN_KEY] = ann
    a.run()
    a.text_area(key="new-draft-text").set_value(TEXT)
    a.button(key="new-draft-add").click().run()
    assert errors(a) == []
    [workspace] = Storage(settings.database).workspaces()
    [draft] = Storage(settings.database).drafts(workspace.id)

    # instance B: the same session token is good there, and the draft is there, checked
    seen = _instance_b(env_b, "narrative", ann, {"ws": workspace.id, "draft": draft.id})
    assert seen["errors"] == []
    assert "confidential-6610" in seen["shown"] and "S6 Determine Cause" in seen["shown"]

    # instance B: her mentor comments on it
    commented = _instance_b(
        env_b,
        "mentor",
        mia,
        {"ws": workspace.id},
        [["text_area", "comment-text", COMMENT], ["button", "comment-add", None]],
    )
    assert commented["errors"] == []

    # instance A: the comment is there after a rerun, beside the draft
    a.run()
    assert errors(a) == []
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "info") for e in a.get(kind))
    assert COMMENT in shown
