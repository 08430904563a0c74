"""The default path needs no network: build the index and answer with sockets to the world blocked."""

from __future__ import annotations

import socket

import pytest

from app.config import Settings
from app.retrieval.service import search
from tests.conftest import NetworkBlocked

pytestmark = pytest.mark.slow


def test_guard_really_blocks(no_network):
    with pytest.raises(NetworkBlocked), socket.create_connection(("93.184.216.34", 80), timeout=1):
        pass
    assert no_network == [("93.184.216.34", 80)]


def test_index_and_answer_without_network(no_network, tmp_path, fixture_knowledge, monkeypatch):
    from app.embeddings import Embedder

    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=fixture_knowledge)
    # A fresh Embedder, so the model really is loaded from disk under the guard.
    embedder = Embedder(runtime=settings.inference_runtime, cache_dir=settings.onnx_cache_dir)
    monkeypatch.setattr("app.retrieval.service.get_embedder", lambda *_: embedder)
    hits = search(settings, "How should rejected widgets be reported?", program="cwi", k=3)
    assert hits and hits[0].metadata["standard"] == "S2"
    assert no_network == []
