"""Shared fixtures: a temporary data dir for every test, the real model loaded once, real stores."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path

import pytest

from app.config import REPO_ROOT, Settings

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_KNOWLEDGE = REPO_ROOT / "knowledge"


@pytest.fixture(scope="session", autouse=True)
def onnx_dir(tmp_path_factory) -> Path:
    """The exported ONNX graphs, made once for the whole run (each export takes tens of seconds) and
    shared by every test's data directory and every process a test starts. Set for the whole session, so
    fixtures made outside a test (module and session scope) use it too."""
    import os

    folder = tmp_path_factory.mktemp("onnx")
    previous = os.environ.get("CERTPREP_ONNX_DIR")
    os.environ["CERTPREP_ONNX_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CERTPREP_ONNX_DIR", None)
    else:
        os.environ["CERTPREP_ONNX_DIR"] = previous


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path, onnx_dir):
    """No test reads the user's configuration or touches the user's data directory."""
    for var in [v for v in __import__("os").environ if v.startswith("CERTPREP_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("CERTPREP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CERTPREP_ONNX_DIR", str(onnx_dir))
    from app.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def organization_settings(monkeypatch) -> Settings:
    """Accounts on (organization mode), in this test's own data directory."""
    from app.config import get_settings

    monkeypatch.setenv("CERTPREP_MODE", "organization")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
def embedder():
    from app.embeddings import get_embedder

    return get_embedder()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=SHIPPED_KNOWLEDGE)


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    """A writable copy of the shipped knowledge tree."""
    target = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KNOWLEDGE, target, ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.fixture
def fixture_knowledge(tmp_path) -> Path:
    """A writable copy of the small fictitious program used by the tests."""
    target = tmp_path / "fixture-knowledge"
    shutil.copytree(FIXTURES / "knowledge", target)
    return target


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = address[0]
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkBlocked(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Any connection to a non-loopback address raises, and is recorded."""
    attempts: list = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(real):
        def connect(self, address):
            if not _is_loopback(address):
                attempts.append(address)
                raise NetworkBlocked(f"network access blocked in test: {address!r}")
            return real(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    return attempts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, process, what: str, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200, or kill ``process`` and fail the test saying ``what`` did not start."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail(f"{what} did not start")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """One real PostgreSQL server for the run, started on first use (see tests/postgres.py)."""
    from tests.postgres import PostgresServer, binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
    server = PostgresServer(tmp_path_factory.mktemp("postgres"), durable=False)
    server.start()
    yield server
    from app.storage.engine import dispose_all

    dispose_all()
    server.stop("immediate")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """What the storage suite runs on: a SQLite file, then a fresh database on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "certprep.sqlite3")
    return request.getfixturevalue("postgres_server").new_database()


class ChromaServer:
    """A real `chroma run` on 127.0.0.1 that a test can stop and start again on the same port and data."""

    def __init__(self, path: Path):
        import sys

        self.command = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        self.path, self.port, self.process = path, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import subprocess

        self.process = subprocess.Popen(
            [self.command, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
        )
        wait_for_http(f"{self.url}/api/v2/heartbeat", self.process, "chroma server", timeout=60)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def chroma_server(tmp_path):
    """A Chroma server for this test; its URL."""
    server = ChromaServer(tmp_path / "chroma-server-data")
    server.start()
    yield server.url
    server.stop()
