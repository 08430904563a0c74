"""The heavy parts (embedding model, index, narrative analyzer) loaded once per server process, in the
background from the moment the server starts, so the first question does not wait for them.

The web server starts this in its lifespan and reports progress at ``/ready``; the pages ask for the
loaded objects and show the step while they wait. Keyed by the directories they read, so a test or a
reconfigured server never gets another data directory's objects.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from typing import Any

from pydantic import BaseModel, Field

from app.config import Settings, get_settings

log = logging.getLogger(__name__)


class WarmState(BaseModel):
    ready: bool = Field(default=False, description="Questions can be answered: the model and index are loaded.")
    analyzer_ready: bool = False
    step: str = "not started"
    error: str | None = None
    seconds: float | None = None


class _Loader:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.state = WarmState(step="starting")
        self.answering = threading.Event()
        self.assistant: Any = None
        self.thread = threading.Thread(target=self._run, name="certprep-warmup", daemon=True)
        self.thread.start()

    def _step(self, text: str) -> None:
        self.state = self.state.model_copy(update={"step": text})

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            from app.chat.assistant import Assistant
            from app.embeddings import get_embedder
            from app.index.ingest import index_exists, ingest
            from app.mapping.service import get_analyzer

            embedder = get_embedder(self.settings.embedding_model_path, self.settings)
            if not embedder.prepared:
                self._step("preparing the model for ONNX Runtime (first start only, about a minute)")
                embedder.prepare()
            if not index_exists(self.settings):
                self._step("building the index (first start only)")
                ingest(self.settings)
            self._step("loading the embedding model and the index")
            assistant = Assistant(self.settings)
            retriever = assistant.retriever  # opens the store, builds BM25, loads the model
            for program in sorted(assistant.knowledge):
                retriever.search("eligibility requirements", program=program, k=1)  # first-call costs paid now
            retriever.forget_queries()
            self.assistant = assistant
            self.state = WarmState(ready=True, step="loading the narrative analyzer")
            self.answering.set()  # questions need no more than this
            for program, kb in assistant.knowledge.items():
                if kb.standards:
                    get_analyzer(self.settings, program)
            seconds = round(time.perf_counter() - started, 1)
            self.state = WarmState(ready=True, analyzer_ready=True, step="ready", seconds=seconds)
        except Exception as exc:  # reported at /ready, and raised to the page that asks for the assistant
            log.exception("warm-up failed")
            self.state = WarmState(step="failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self.answering.set()


_loaders: dict[tuple[str, str], _Loader] = {}
_lock = threading.Lock()


@atexit.register
def _finish_loading() -> None:
    """A process that ends mid-load (a test, a stopped server) lets the loader finish first: killing a
    thread inside PyTorch's model loading aborts the whole process."""
    for loader in list(_loaders.values()):
        loader.thread.join(timeout=120)


def _key(settings: Settings) -> tuple[str, str]:
    return str(settings.data_dir), str(settings.knowledge_dir)


def start(settings: Settings | None = None) -> None:
    """Begin loading in the background (once per data and knowledge directory)."""
    settings = settings or get_settings()
    with _lock:
        if _key(settings) not in _loaders:
            _loaders[_key(settings)] = _Loader(settings)


def state(settings: Settings | None = None) -> WarmState:
    loader = _loaders.get(_key(settings or get_settings()))
    return loader.state if loader else WarmState()


def assistant(settings: Settings | None = None):
    """The loaded assistant, waiting for the warm-up if it is still running."""
    settings = settings or get_settings()
    start(settings)
    loader = _loaders[_key(settings)]
    loader.answering.wait()
    if loader.assistant is None:
        raise RuntimeError(f"certprep could not load its model and index: {loader.state.error}")
    return loader.assistant
