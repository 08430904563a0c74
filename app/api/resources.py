"""What one API process loads once and shares between requests: the assistant (embedding model, index,
BM25), the narrative analyzers and the account service. Loading starts in the background when the server
starts (``app.warmup``, as for the web app), so that the first question does not pay for it.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import TYPE_CHECKING

from app import warmup
from app.config import Settings

if TYPE_CHECKING:
    from app.accounts import Accounts
    from app.chat.assistant import Assistant

DEFAULT_TOP_K = 5
PRIMING_QUESTION = "Do I need to pass an exam?"
log = logging.getLogger("app.api")


class Resources:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._assistants: dict[int, Assistant] = {}
        self._accounts: Accounts | None = None
        self._lock = threading.Lock()
        self.primed = threading.Event()

    def start(self) -> None:
        warmup.start(self.settings)
        threading.Thread(target=self._prime, name="certprep-api-prime", daemon=True).start()

    def _prime(self) -> None:
        """One answer per program once the warm-up is done: the first answer in a program builds what its
        answers share (the FAQ's vectors, the structured facts; half a second in CPO), and under load every
        request that arrived meanwhile would wait for it."""
        try:
            assistant = self.assistant()
            for program in sorted(assistant.knowledge):
                assistant.respond(PRIMING_QUESTION, assistant.new_session(program))
        except Exception as exc:  # the store may be away: questions will say so; readiness reports it
            log.warning("priming the assistant failed (%s)", type(exc).__name__)
        finally:
            self.primed.set()

    def _base(self) -> Assistant:
        """The warmed-up assistant; built here instead when the warm-up failed (say, the Chroma server was
        down when the server started), so that a store that came back is used without a restart and one
        still away is reported with its own message."""
        try:
            return warmup.assistant(self.settings)
        except RuntimeError:
            pass
        from app.chat.assistant import Assistant

        assistant = Assistant(self.settings)
        assistant.retriever  # noqa: B018 (opens the store: StoreUnavailableError while a server is away)
        return assistant

    def assistant(self, top_k: int = DEFAULT_TOP_K) -> Assistant:
        """One assistant per ``top_k``, all sharing the loaded model, index and caches."""
        found = self._assistants.get(top_k)
        if found is not None:
            return found
        base = self._assistants.get(DEFAULT_TOP_K) or self._base()
        with self._lock:
            self._assistants.setdefault(DEFAULT_TOP_K, base)
            if top_k not in self._assistants:
                variant = copy.copy(base)  # shallow: the same retriever, knowledge and cached vectors
                variant.top_k = top_k
                self._assistants[top_k] = variant
            return self._assistants[top_k]

    @property
    def loaded(self) -> bool:
        return bool(self._assistants) or warmup.state(self.settings).ready

    @property
    def accounts(self) -> Accounts:
        if self._accounts is None:
            from app.accounts import Accounts
            from app.storage import Storage

            with self._lock:
                if self._accounts is None:
                    self._accounts = Accounts(Storage(self.settings.database), self.settings)
        return self._accounts
