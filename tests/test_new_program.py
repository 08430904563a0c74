"""Adding a program is adding a folder: a fictitious one is listed, indexed and answered from."""

from __future__ import annotations

import json
import shutil

import pytest

from app.config import Settings
from app.retrieval.hybrid import KnowledgeRetriever
from tests.conftest import FIXTURES
from tests.test_cli import run

pytestmark = pytest.mark.slow


def test_third_program_is_listed_indexed_and_retrievable(knowledge_copy, tmp_path, embedder):
    shutil.copytree(FIXTURES / "knowledge" / "cwi", knowledge_copy / "cwi")
    listed = run("programs", "--json", env={"CERTPREP_KNOWLEDGE_DIR": str(knowledge_copy)})
    assert listed.returncode == 0, listed.stderr
    programs = {p["id"]: p for p in json.loads(listed.stdout)}
    assert set(programs) == {"cpo", "cpt", "cwi"}
    assert [s["id"] for s in programs["cwi"]["standards"]] == ["S1", "S2"]
    assert len(programs["cpt"]["standards"]) == 10 and programs["cpo"]["standards"] == []

    settings = Settings(data_dir=tmp_path / "d", knowledge_dir=knowledge_copy)
    retriever = KnowledgeRetriever(settings, embedder)
    hits = retriever.search("Where do nonconforming widgets go?", program="cwi", k=3)
    assert hits and all(h.metadata["program"] == "cwi" for h in hits)
    assert hits[0].metadata["standard"] == "S2"
    # the new program does not leak into the others' answers
    cpt_hits = retriever.search("Where do nonconforming widgets go?", program="cpt", k=3)
    assert all(h.metadata["program"] == "cpt" for h in cpt_hits)

    # the chat's direct answers read the new program's parameters as data: no code names the program
    from app.chat.assistant import Assistant

    bot = Assistant(settings)
    bot._retriever = retriever
    reply = bot.respond("How many projects do I need to describe for the CWI?", bot.new_session("cwi"))
    assert reply.program == "cwi" and reply.text.startswith("Projects to describe: 2. [1]")
    assert reply.citations[0].id == "cwi:rule.eligibility"
    reply = bot.respond("Does the CWI require 2 years of inspection experience?", bot.new_session("cwi"))
    assert reply.text.startswith("Yes — Years of inspection experience: 2 years. [1]")
