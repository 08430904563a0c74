"""`certprep api` as a user starts it: a real uvicorn process on a free port, and its refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from app.config import REPO_ROOT
from tests.conftest import free_port, wait_for_http

pytestmark = pytest.mark.slow


def _env(tmp_path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CERTPREP_DATA_DIR": str(tmp_path / "d"), **extra}


def test_certprep_api_serves_health_and_readiness(tmp_path, fixture_knowledge):
    port = free_port()
    env = _env(tmp_path, CERTPREP_KNOWLEDGE_DIR=str(fixture_knowledge), CERTPREP_DEFAULT_PROGRAM="cwi")
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "api", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/health", proc, "certprep api", timeout=240)
        assert (tmp_path / "d" / "chroma").is_dir()  # the index was built before serving
        state, deadline = None, time.monotonic() + 180
        while state is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=5) as response:
                    state = json.loads(response.read())
            except urllib.error.HTTPError as exc:  # 503 while the model loads, saying which part
                assert exc.code == 503 and json.loads(exc.read())["parts"]["models"]["ready"] is False
                time.sleep(0.5)
        assert state is not None and state["ready"] is True, (tmp_path / "server.log").read_text()
        assert state["parts"]["knowledge"]["detail"] == "1 programs: cwi"
        request = urllib.request.Request(
            f"{base}/v1/ask",
            data=json.dumps({"question": "what gauges are used to measure tolerance?", "top_k": 1}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        assert answer["citations"][0]["title"].startswith("Standard 1: Measure Widget Tolerances")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    assert "what gauges" not in (tmp_path / "server.log").read_text()  # the access log has no bodies


def test_certprep_api_refuses_to_share_personal_mode_or_an_organization_without_an_administrator(tmp_path):
    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "api", *args],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=_env(tmp_path, **env),
            timeout=120,
        )

    shared = run("--host", "0.0.0.0", "--skip-ingest")
    assert shared.returncode == 2
    assert shared.stderr.startswith("error: 0.0.0.0 is reachable from other computers and accounts are off")
    nobody = run("--host", "0.0.0.0", "--skip-ingest", CERTPREP_MODE="organization")
    assert nobody.returncode == 2
    assert nobody.stderr.strip() == (
        "error: organization mode needs an administrator: `certprep users add NAME --role admin` first"
    )
