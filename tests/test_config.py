from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import ChromaMode, Settings


def test_settings_read_env_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("CERTPREP_DATA_DIR", str(tmp_path / "x"))
    monkeypatch.setenv("CERTPREP_CHROMA_MODE", "server")
    monkeypatch.setenv("CERTPREP_CHROMA_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("CERTPREP_LLM", "ollama:llama3.2")
    s = Settings()
    assert s.data_dir == tmp_path / "x"
    assert s.chroma_mode is ChromaMode.server
    assert s.chroma_url == "http://127.0.0.1:9999"
    assert s.llm == "ollama:llama3.2"
    assert s.chroma_dir == tmp_path / "x" / "chroma"


def test_defaults_are_offline(monkeypatch):
    monkeypatch.delenv("CERTPREP_DATA_DIR")
    s = Settings()
    assert s.llm == "none"
    assert s.chroma_mode is ChromaMode.embedded
    assert "certprep" in str(s.data_dir)
    assert (s.knowledge_dir / "README.md").exists()


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("CERTPREP_LLM", "gpt4"),
        ("CERTPREP_LLM", "anthropic:claude"),
        ("CERTPREP_LOG_LEVEL", "loud"),
        ("CERTPREP_CHROMA_MODE", "cloud"),
    ],
)
def test_invalid_settings_are_rejected(monkeypatch, env, value):
    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError):
        Settings()


def test_server_mode_needs_http_url():
    with pytest.raises(ValidationError, match="http"):
        Settings(chroma_mode="server", chroma_url="127.0.0.1:8000", data_dir=Path("/tmp/x"))
