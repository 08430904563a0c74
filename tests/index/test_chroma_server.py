"""Server mode against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.index.ingest import ingest
from app.index.store import StoreUnavailableError, make_client
from app.retrieval.service import search
from tests.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.server]


def test_server_mode_ingests_and_answers(chroma_server, tmp_path, fixture_knowledge, embedder):
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=fixture_knowledge,
        chroma_mode="server",
        chroma_url=chroma_server,
    )
    report = ingest(settings, embedder=embedder)
    assert report.added == report.chunks > 0
    assert not (tmp_path / "data" / "chroma").exists()  # nothing stored locally in server mode
    hits = search(settings, "what happens to widgets outside tolerance", program="cwi", k=2)
    assert hits[0].metadata["standard"] in {"S1", "S2"}
    assert ingest(settings, embedder=embedder).unchanged == report.chunks


def test_unreachable_server_is_a_clear_error(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", chroma_mode="server", chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailableError, match="cannot reach the Chroma server"):
        make_client(settings)
