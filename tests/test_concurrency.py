"""8 threads asking and analysing at once over one shared model and store give the serial results."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from app.chat.assistant import Assistant
from app.config import REPO_ROOT, Settings
from app.documents import read_document
from app.mapping.service import get_analyzer
from tests.conftest import SHIPPED_KNOWLEDGE

pytestmark = pytest.mark.slow

QUESTIONS = [
    ("cpt", "What does standard 6 expect?"),
    ("cpt", "how many years of experiance do i need for the CPT"),
    ("cpo", "Do unpaid hours count toward the 1,500?"),
    ("cpo", "What is on the CPO exam?"),
    ("cpt", "Who can attest to a project?"),
    ("cpo", "How many CEUs do I need to recertify?"),
    ("cpt", "What does the code of ethics say about confidentiality?"),
    ("cpo", "Can my degree replace some hours?"),
]
NARRATIVES = sorted((REPO_ROOT / "examples/cpt/projects").glob("*.md"))


def test_parallel_results_equal_serial_results(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=SHIPPED_KNOWLEDGE)
    assistant = Assistant(settings)
    analyzer = get_analyzer(settings, "cpt")
    documents = [read_document(p) for p in NARRATIVES]

    def ask(item):
        program, question = item
        reply = assistant.respond(question, assistant.new_session(program))
        return reply.text, [c.id for c in reply.citations]

    def analyse(document):
        result = analyzer.analyze(document)
        return [(s.id, s.status.value, [(e.start, e.end) for e in s.evidence], s.confidence) for s in result.standards]

    def same_analyses(got, want) -> bool:
        """Same statuses and quotes; confidences within a rounding step (threads may sum in another order)."""
        return all(
            a[:3] == b[:3] and abs(a[3] - b[3]) <= 0.0011
            for g, w in zip(got, want, strict=True)
            for a, b in zip(g, w, strict=True)
        )

    serial_answers = [ask(item) for item in QUESTIONS]
    serial_analyses = [analyse(doc) for doc in documents]
    work = [("ask", item) for item in QUESTIONS * 2] + [("analyse", doc) for doc in documents * 3]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: ask(job[1]) if job[0] == "ask" else analyse(job[1]), work))
    answers, analyses = results[: len(QUESTIONS) * 2], results[len(QUESTIONS) * 2 :]
    assert answers == serial_answers * 2
    assert same_analyses(analyses, serial_analyses * 3)
    assert all(citations for _, citations in serial_answers[:1])
