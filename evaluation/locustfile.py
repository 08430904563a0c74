"""The clients of the load benchmark (``python -m evaluation.load`` runs Locust on this file): signed-in users
who mostly ask questions, sometimes check an application and now and then analyse a ~900-word narrative.

The requests come from a JSON file the runner writes (``CERTPREP_LOAD_PAYLOADS``): the bearer token, the
questions, the narrative and the application, so that this file needs nothing from certprep itself.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import FastHttpUser, between, constant, task

PAYLOADS = json.loads(Path(os.environ["CERTPREP_LOAD_PAYLOADS"]).read_text(encoding="utf-8"))
WAIT = float(os.environ.get("CERTPREP_LOAD_WAIT", "1"))
WEIGHTS = PAYLOADS["weights"]


class SignedInUser(FastHttpUser):
    """One client: a pause of ``WAIT`` seconds on average between requests (0: none at all)."""

    wait_time = between(WAIT / 2, WAIT * 3 / 2) if WAIT > 0 else constant(0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {PAYLOADS['token']}"}

    def _post(self, name: str, body: dict) -> None:
        with self.client.post(f"/v1/{name}", json=body, headers=self.headers, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")

    @task(WEIGHTS["ask"])
    def ask(self) -> None:
        question = random.choice(PAYLOADS["questions"])
        self._post("ask", {"question": question["question"], "program": question["program"]})

    @task(WEIGHTS["check"])
    def check(self) -> None:
        self._post("check", PAYLOADS["application"])

    @task(WEIGHTS["analyze"])
    def analyze(self) -> None:
        self._post("analyze", {"program": "cpt", "narratives": [{"text": PAYLOADS["narrative"], "name": "load.md"}]})
