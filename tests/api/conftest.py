"""The API against the real assistant: the shipped knowledge, the real model and a real index, built once for
the package and shared by a personal-mode and an organization-mode app (the same data directory, so the
model and index load once)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.accounts import Accounts, Principal
from app.api.app import create_app
from app.config import AccessMode, Settings
from app.storage import Storage
from tests.conftest import SHIPPED_KNOWLEDGE

PASSWORD = "a-good-long-password"
USERS = {"ada": "admin", "sam": "candidate", "mia": "mentor", "stef": "staff", "lou": "candidate"}


@pytest.fixture(scope="session")
def api_data_dir(tmp_path_factory, onnx_dir) -> Path:
    """A data directory whose index of the shipped knowledge is built once (ingest runs at the first open)."""
    from app.retrieval.service import get_retriever

    data_dir = tmp_path_factory.mktemp("api-data")
    get_retriever(Settings(data_dir=data_dir, knowledge_dir=SHIPPED_KNOWLEDGE))
    return data_dir


def wait_ready(client: TestClient, timeout: float = 300) -> None:
    """Until /ready says 200: the model, index and analyzers load in the background from the start."""
    deadline = time.monotonic() + timeout
    while (response := client.get("/ready")).status_code != 200:
        assert time.monotonic() < deadline, response.json()
        time.sleep(0.5)


def _client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        yield client


@pytest.fixture(scope="session")
def personal(api_data_dir) -> Iterator[TestClient]:
    yield from _client(Settings(data_dir=api_data_dir, knowledge_dir=SHIPPED_KNOWLEDGE, mode=AccessMode.personal))


@pytest.fixture(scope="session")
def org_settings(api_data_dir) -> Settings:
    settings = Settings(data_dir=api_data_dir, knowledge_dir=SHIPPED_KNOWLEDGE, mode=AccessMode.organization)
    accounts = Accounts(Storage(settings.database), settings)
    for username, role in USERS.items():
        accounts.add(Principal.operator(), username, role, PASSWORD)
    return settings


@pytest.fixture(scope="session")
def org(org_settings) -> Iterator[TestClient]:
    yield from _client(org_settings)


@pytest.fixture(scope="session")
def tokens(org) -> dict[str, str]:
    """A bearer token per account, signed in through the API."""
    found = {}
    for username in ("ada", "sam", "mia", "stef"):
        response = org.post("/v1/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        found[username] = response.json()["access_token"]
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
