"""With the Chroma server away, questions get a clear 503 while the rules (check, recert, programs) and the
narrative analyses, which need no index, go on; readiness names the index as the part that is not ready."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.config import REPO_ROOT, get_settings
from tests.conftest import free_port

pytestmark = pytest.mark.slow

EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture
def client(monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("CERTPREP_CHROMA_MODE", "server")
    monkeypatch.setenv("CERTPREP_CHROMA_URL", url)
    get_settings.cache_clear()
    with TestClient(create_app(get_settings())) as client:
        yield client, url


def test_ask_is_503_while_rules_keep_working(client):
    api, url = client
    asked = api.post("/v1/ask", json={"question": "What does standard 6 expect?", "program": "cpt"})
    assert asked.status_code == 503
    error = asked.json()["error"]
    assert error.startswith(f"the knowledge index is unavailable: cannot reach the Chroma server at {url}")
    assert "\n" not in error

    check = api.post(
        "/v1/check",
        json={
            "application": (EXAMPLES / "cpo/application.yaml").read_text(),
            "files": {"hours.csv": (EXAMPLES / "cpo/hours.csv").read_text()},
        },
    )
    assert check.status_code == 200 and check.json()["hours"]["total_counted"] == 1355
    log = (EXAMPLES / "recert/cpt-points.csv").read_text()
    body = {"program": "cpt", "anniversary": "2026-03-01", "today": "2026-05-01", "log": log}
    recert = api.post("/v1/recert", json=body)
    assert recert.status_code == 200 and recert.json()["deadline"] == "2026-06-15"
    assert [p["id"] for p in api.get("/v1/programs").json()] == ["cpo", "cpt", "pmp"]
    narrative = (EXAMPLES / "cpt/projects/food-waste.md").read_text()
    analysis = api.post("/v1/analyze", json={"narratives": [{"text": narrative}]})
    assert analysis.status_code == 200
    assert {s["id"]: s["status"] for s in analysis.json()["projects"][0]["standards"]}["S6"] == "demonstrated"


def test_readiness_names_the_index(client):
    api, url = client
    assert api.get("/health").status_code == 200
    ready = api.get("/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False
    assert body["parts"]["index"]["ready"] is False
    assert body["parts"]["index"]["detail"].startswith(f"cannot reach the Chroma server at {url}")
    assert body["parts"]["knowledge"]["ready"] and body["parts"]["database"]["ready"]
    assert body["error"].startswith("not ready: index (cannot reach the Chroma server")
