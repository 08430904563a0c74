"""Adding a program is adding a folder: a fictitious one is listed, indexed and answered from."""

from __future__ import annotations

import json
import shutil

import pytest

from app.config import Settings
from app.retrieval.service import KnowledgeRetriever
from tests.conftest import FIXTURES
from tests.test_cli import run

pytestmark = pytest.mark.slow


def test_third_program_is_listed_indexed_and_retrievable(knowledge_copy, tmp_path, embedder):
    shutil.copytree(FIXTURES / "knowledge" / "cwi", knowledge_copy / "cwi")
    listed = run("programs", "--json", env={"CERTPREP_KNOWLEDGE_DIR": str(knowledge_copy)})
    assert listed.returncode == 0, listed.stderr
    programs = {p["id"]: p for p in json.loads(listed.stdout)}
    assert set(programs) == {"cpo", "cpt", "cwi", "pmp"}
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


def test_a_program_added_as_data_gets_eligibility_with_dated_rules_and_recertification(knowledge_copy, tmp_path):
    """The fictitious CWI has a checks.yaml and no Python: `certprep check` applies the experience rule in
    force on the application date (three years until 2025, two since 2026) and `certprep recert` its
    credits with a minimum and a cap."""
    shutil.copytree(FIXTURES / "knowledge" / "cwi", knowledge_copy / "cwi")
    env = {"CERTPREP_KNOWLEDGE_DIR": str(knowledge_copy), "CERTPREP_DATA_DIR": str(tmp_path / "data")}

    def check(applied_on: str) -> dict:
        path = tmp_path / f"cwi-{applied_on}.yaml"
        path.write_text(
            "program: cwi\napplicant: Robin Park\n"
            f"applied_on: {applied_on}\n"
            "experience:\n  - {role: Inspector, start: 2023-01, end: 2025-06}\n"  # 30 months
            "projects: []\n"
        )
        result = run("check", "--json", str(path), env=env)
        assert result.returncode == 0, result.stderr
        return {r["id"]: r for r in json.loads(result.stdout)["requirements"]}

    before, after = check("2025-07-01"), check("2026-02-01")
    assert not before["experience"]["met"] and "the minimum is 3 years" in before["experience"]["detail"]
    assert "in force until 2025-12-31" in before["experience"]["detail"]
    assert after["experience"]["met"] and "the minimum is 2 years" in after["experience"]["detail"]
    assert "in force since 2026-01-01" in after["experience"]["detail"]
    assert before["experience"]["source"] == after["experience"]["source"] == "eligibility (W1)"
    assert not after["projects"]["met"] and after["projects"]["detail"].startswith("0 project(s) listed")

    log = tmp_path / "credits.csv"
    log.write_text(
        "date,activity,credits,category\n"
        "2025-03-01,Bridge inspection,9,field\n"
        "2025-05-01,Workshop for juniors,8,teaching\n"  # only 5 count: the cap
        "2025-06-01,Weld audit,4,field\n"
        "2025-07-01,Guest lecture,2,knitting\n"  # not a category of the program
    )
    result = run(
        "recert", "--program", "cwi", "--anniversary", "2026-01-31", "--points-log", str(log),
        "--today", "2025-12-01", "--json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    recert = json.loads(result.stdout)
    assert recert["earned"] == 18 and recert["required"] == 20 and not recert["met"]
    by_id = {r["id"]: r for r in recert["requirements"]}
    assert "Capped: Teaching: 8 logged, at most 5 count" in by_id["credits"]["detail"]
    assert by_id["field_credits"]["met"] and by_id["deadline"]["met"]
    assert [r["row"] for r in recert["rejected_rows"]] == [5]
