"""`certprep check` and `certprep recert`: the README's examples run, JSON has the documented shape, and
bad input is one line per problem with exit code 2."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from app.config import REPO_ROOT
from tests.test_cli import run

README = (REPO_ROOT / "README.md").read_text()
SECTION = README.split("## Application check and recertification", 1)[1].split("\n## ", 1)[0]


def test_readme_shows_the_example_files_verbatim():
    blocks = re.findall(r"```yaml\n(.*?)```", SECTION, flags=re.S)
    assert blocks == [
        (REPO_ROOT / "examples/cpo/application.yaml").read_text(),
        (REPO_ROOT / "examples/cpt/application.yaml").read_text(),
        (REPO_ROOT / "examples/pmp/application.yaml").read_text(),
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [line for block in re.findall(r"```bash\n(.*?)```", SECTION, flags=re.S) for line in block.splitlines()],
)
def test_readme_commands_run(command):
    args = shlex.split(command)
    assert args[0] == "certprep"
    result = run(*args[1:])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_check_json_shape_for_cpo():
    result = run("check", "--json", "examples/cpo/application.yaml")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"program", "eligible", "requirements", "hours", "projects", "warnings"}
    assert data["program"] == "cpo" and data["eligible"] is False
    assert set(data["requirements"][0]) == {"id", "met", "detail", "source", "uncertain"}
    paid = data["requirements"][0]
    assert paid["id"] == "paid_hours" and not paid["met"] and paid["uncertain"]
    assert data["hours"]["total_counted"] == 1355
    assert {"row": 343, "reason": "date '15/03/2025' is not a date (use YYYY-MM-DD)", "hours": 3.0} in data["hours"][
        "rejected_rows"
    ]


def test_check_text_puts_what_to_fix_first():
    result = run("check", "examples/cpo/application.yaml", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "not eligible yet" in out
    assert out.index("Fix first:") < out.index("1,355 of the 1,500 hours count")
    assert "2-36" in out  # 35 rows outside the window shown as one range


@pytest.mark.slow
def test_check_cpt_uses_the_mapping_engine():
    result = run("check", "--json", "examples/cpt/application.yaml")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [p["title"] for p in data["projects"]] == [
        "Fewer medication errors on the night shift",
        "Cutting waste in a food factory",
        "Fewer repeat visits for broadband installs",
    ]
    assert all(len(p["standards"]) == 10 for p in data["projects"])
    by_id = {r["id"]: r for r in data["requirements"]}
    assert by_id["experience"]["met"] and "6 overlapping month(s)" in by_id["experience"]["detail"]
    assert by_id["attestations"]["met"] and by_id["attestations"]["uncertain"]
    assert "Priya Nair (peer)" in by_id["attestations"]["detail"]
    assert any("Tom Becker is not signed yet" in w for w in data["warnings"])
    assert data["eligible"] == all(r["met"] for r in data["requirements"])


def test_invalid_application_is_one_line_per_problem(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("program: cpo\napplicant: X\napplied_on: 2026-02-30\neducation: phd\n")
    result = run("check", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}:3: applied_on: Input should be a valid date or datetime, day value is outside expected range",
        f"error: {path}:4: education: 'phd' is not one of none, high_school, associate, bachelor, advanced",
    ]


def test_recert_json():
    result = run(
        "recert",
        "--program",
        "cpt",
        "--anniversary",
        "2026-03-01",
        "--points-log",
        "examples/recert/cpt-points.csv",
        "--today",
        "2026-05-01",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["deadline"] == "2026-06-15" and data["earned"] == 35 and data["met"] is False
    assert [r["row"] for r in data["rejected_rows"]] == [7, 8]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "cpt", "--anniversary", "01/03/2026"], "error: --anniversary: '01/03/2026' is not a date"),
        (["--program", "xyz", "--anniversary", "2026-03-01"], "error: unknown program 'xyz'"),
    ],
)
def test_recert_bad_input(args, message):
    result = run("recert", *args, "--points-log", "examples/recert/cpt-points.csv")
    assert result.returncode == 2
    assert result.stderr.startswith(message) and "Traceback" not in result.stderr


def test_recert_wrong_log_columns():
    result = run(
        "recert", "--program", "cpo", "--anniversary", "2026-12-31", "--points-log", "examples/recert/cpt-points.csv"
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: examples/recert/cpt-points.csv: missing column 'ceus'",
    ]


def test_analyze_respects_the_configured_size_limit(tmp_path):
    import os
    import subprocess
    import sys

    from app.config import REPO_ROOT

    narrative = REPO_ROOT / "examples/cpt/projects/food-waste.md"
    env = {**os.environ, "CERTPREP_DATA_DIR": str(tmp_path / "d"), "CERTPREP_MAX_UPLOAD_BYTES": "1024"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "analyze", "--program", "cpt", str(narrative)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {narrative}: 2 KB is over the 1 KB limit"
