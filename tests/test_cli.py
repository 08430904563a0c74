"""The command line: fast help, clear errors, the programs listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.config import REPO_ROOT


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_subcommands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("ingest", "ask", "programs", "knowledge"):
        assert command in result.stdout


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from app.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb', 'streamlit', 'langchain_core')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_programs_json_lists_fixture_program(fixture_knowledge):
    result = run("programs", "--json", env={"CERTPREP_KNOWLEDGE_DIR": str(fixture_knowledge)})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == [
        {
            "id": "cwi",
            "name": "Certified Widget Inspector",
            "short_name": "CWI",
            "body": "Fictitious Widget Guild (test fixture)",
            "standards": [
                {"id": "S1", "title": "Measure Widget Tolerances"},
                {"id": "S2", "title": "Report Nonconforming Widgets"},
            ],
        }
    ]


def test_invalid_configuration_is_one_clear_line():
    result = run("programs", env={"CERTPREP_LLM": "gpt4"})
    assert result.returncode == 2
    assert "CERTPREP_LLM" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_knowledge_is_reported_not_a_traceback(fixture_knowledge):
    (fixture_knowledge / "cwi/rules.yaml").write_text("rules: [\n")
    result = run("programs", env={"CERTPREP_KNOWLEDGE_DIR": str(fixture_knowledge)})
    assert result.returncode == 2
    assert "cwi/rules.yaml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_ingest_and_ask_from_the_command_line(fixture_knowledge, tmp_path):
    env = {"CERTPREP_KNOWLEDGE_DIR": str(fixture_knowledge), "CERTPREP_DATA_DIR": str(tmp_path / "d")}
    first = run("ingest", "--if-missing", env=env)
    assert first.returncode == 0, first.stderr
    assert "added" in first.stdout and "0 unchanged" in first.stdout
    second = run("ingest", "--if-missing", env=env)
    assert "nothing to do" in second.stdout
    third = run("ingest", env=env)
    assert " 0 added, 0 updated, 0 removed" in " " + third.stdout
    answer = run("ask", "--program", "cwi", "-k", "1", "what gauges are used to measure tolerance?", env=env)
    assert answer.returncode == 0, answer.stderr
    assert "[1] Standard 1: Measure Widget Tolerances" in answer.stdout
