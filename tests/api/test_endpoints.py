"""Each endpoint returns what its command prints with --json (checked against the command itself where it
is cheap to run), and bad requests get one line with the right 4xx."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
import yaml
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.openapi import COMMITTED, schema
from app.config import REPO_ROOT, Settings
from tests.conftest import SHIPPED_KNOWLEDGE

pytestmark = pytest.mark.slow

EXAMPLES = REPO_ROOT / "examples"
FOOD_WASTE = (EXAMPLES / "cpt/projects/food-waste.md").read_text()


def cli_json(*args: str, data_dir=None) -> object:
    env = {**os.environ, **({"CERTPREP_DATA_DIR": str(data_dir)} if data_dir else {})}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cpo_application() -> dict:
    return {
        "application": (EXAMPLES / "cpo/application.yaml").read_text(),
        "files": {"hours.csv": (EXAMPLES / "cpo/hours.csv").read_text()},
    }


# --- results: the command line's JSON ------------------------------------------------------------------


def test_ask_returns_the_answer_of_certprep_ask_json(personal, api_data_dir):
    response = personal.post("/v1/ask", json={"question": "What does standard 6 expect?", "program": "cpt"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["intent"] == "knowledge" and data["program"] == "cpt" and data["role"] == "candidate"
    assert data["citations"][0]["title"] == "Standard 6: Determine Cause"
    assert "does not assume that training is the answer" in data["answer"]
    assert data == cli_json("ask", "--json", "--program", "cpt", "What does standard 6 expect?", data_dir=api_data_dir)


def test_ask_in_another_program_and_role_cites_that_program(personal):
    response = personal.post(
        "/v1/ask", json={"question": "How much does recertification cost?", "program": "cpo", "role": "staff"}
    )
    data = response.json()
    assert response.status_code == 200 and data["program"] == "cpo" and data["role"] == "staff"
    assert data["citations"] and all(c["source"].startswith("N") for c in data["citations"])


def test_ask_top_k_limits_the_passages(personal):
    def titles(**extra) -> list[str]:
        body = {"question": "Can a peer sign my attestation?", "program": "cpt", **extra}
        return [c["title"] for c in personal.post("/v1/ask", json=body).json()["citations"]]

    assert titles(top_k=1) == ["Can a peer or colleague sign an attestation?"]
    assert titles() == [
        "Can a peer or colleague sign an attestation?",
        "Who may attest to your projects",
        "How do I submit the application?",
    ]


def test_analyze_maps_a_known_narrative_to_its_standards(personal):
    response = personal.post(
        "/v1/analyze", json={"program": "cpt", "narratives": [{"text": FOOD_WASTE, "name": "food-waste.md"}]}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) == {"program", "projects", "coverage", "requirements"}
    [project] = data["projects"]
    assert project["source"] == "food-waste.md"
    statuses = {s["id"]: s["status"] for s in project["standards"]}
    assert len(statuses) == 10 and statuses["S6"] == "demonstrated"


def test_check_of_the_cpo_example_is_the_cli_result(personal):
    response = personal.post("/v1/check", json=cpo_application())
    assert response.status_code == 200, response.text
    data = response.json()
    paid = data["requirements"][0]
    assert paid["id"] == "paid_hours" and not paid["met"] and paid["uncertain"]
    assert data["hours"]["total_counted"] == 1355
    assert {"row": 343, "reason": "date '15/03/2025' is not a date (use YYYY-MM-DD)", "hours": 3.0} in data["hours"][
        "rejected_rows"
    ]
    assert data == cli_json("check", "--json", "examples/cpo/application.yaml")


def test_check_of_the_cpt_example_analyses_the_narratives_sent_with_it(personal):
    files = {f"projects/{p.name}": p.read_text() for p in (EXAMPLES / "cpt/projects").glob("*.md")}
    fields = yaml.safe_load((EXAMPLES / "cpt/application.yaml").read_text())
    application = json.loads(json.dumps(fields, default=str))  # its fields as a JSON object, dates as text
    response = personal.post("/v1/check", json={"application": application, "files": files})
    assert response.status_code == 200, response.text
    data = response.json()
    assert [p["title"] for p in data["projects"]] == [
        "Fewer medication errors on the night shift",
        "Cutting waste in a food factory",
        "Fewer repeat visits for broadband installs",
    ]
    by_id = {r["id"]: r for r in data["requirements"]}
    assert by_id["experience"]["met"] and "6 overlapping month(s)" in by_id["experience"]["detail"]
    assert by_id["attestations"]["met"] and "Priya Nair (peer)" in by_id["attestations"]["detail"]
    assert any("Tom Becker is not signed yet" in w for w in data["warnings"])


def test_check_takes_a_yaml_body_and_names_a_file_it_did_not_get(personal):
    yaml_text = "program: cpo\napplicant: Jo\napplied_on: 2026-11-01\neducation: bachelor\nethics_agreed: true\n"
    alone = personal.post(
        "/v1/check", content=yaml_text + "paid_hours: 1600\n", headers={"Content-Type": "application/yaml"}
    )
    assert alone.status_code == 200, alone.text
    assert alone.json()["program"] == "cpo" and alone.json()["requirements"][0]["id"] == "paid_hours"
    named = personal.post(
        "/v1/check", content=yaml_text + "hours_log: /etc/passwd\n", headers={"Content-Type": "application/yaml"}
    )
    assert named.status_code == 422
    assert named.json() == {"error": "application: hours_log: '/etc/passwd' was not sent with the application"}


def test_invalid_application_lists_each_problem_with_its_line(personal):
    response = personal.post(
        "/v1/check",
        content="program: cpo\napplicant: X\napplied_on: 2026-02-30\neducation: phd\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 422
    problems = [
        "application:3: applied_on: Input should be a valid date or datetime, day value is outside expected range",
        "application:4: education: 'phd' is not one of none, high_school, associate, bachelor, advanced",
    ]
    assert response.json() == {"error": "; ".join(problems), "problems": problems}


def test_recert_is_the_cli_result(personal):
    log = (EXAMPLES / "recert/cpt-points.csv").read_text()
    body = {"program": "cpt", "anniversary": "2026-03-01", "today": "2026-05-01", "log": log}
    response = personal.post("/v1/recert", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["deadline"] == "2026-06-15" and data["earned"] == 35 and data["met"] is False
    assert [r["row"] for r in data["rejected_rows"]] == [7, 8]
    expected = cli_json(
        "recert", "--program", "cpt", "--anniversary", "2026-03-01", "--today", "2026-05-01", "--json",
        "--points-log", "examples/recert/cpt-points.csv",
    )  # fmt: skip
    assert data == expected
    wrong = personal.post("/v1/recert", json={**body, "program": "cpo", "anniversary": "2026-12-31"})
    assert wrong.status_code == 422 and wrong.json() == {"error": "log: missing column 'ceus'"}


def test_programs_is_the_cli_list(personal):
    response = personal.get("/v1/programs")
    assert response.status_code == 200
    assert response.json() == cli_json("programs", "--json")


# --- bad requests: one line, the right status ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 422, "question: Field required"),
        ({"question": "   "}, 422, "question: the question is empty"),
        ({"question": "x", "top_k": 50}, 422, "top_k: Input should be less than or equal to 20"),
        ({"question": "x", "role": "boss"}, 422, "role: Input should be 'candidate', 'mentor' or 'staff'"),
        ({"question": "x", "program": "xyz"}, 422, "unknown program 'xyz'; known programs: cpo, cpt, pmp"),
        ({"question": "x", "colour": "red"}, 422, "colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_ask_is_one_line(personal, body, status, error):
    response = personal.post("/v1/ask", json=body)
    assert (response.status_code, response.json()) == (status, {"error": error})


def test_a_body_that_is_not_json_is_400_and_text_is_415(personal):
    broken = personal.post("/v1/ask", content=b'{"question": ', headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()) == (400, {"error": "the body is not valid JSON"})
    text = personal.post("/v1/ask", content=b"what is standard 6?", headers={"Content-Type": "text/plain"})
    assert (text.status_code, text.json()) == (415, {"error": "send the body as JSON (Content-Type: application/json)"})
    form = personal.post("/v1/check", data={"application": "program: cpo"})
    assert form.status_code == 415 and "application/yaml" in form.json()["error"]


def test_analyze_errors_are_the_analyzers_own(personal):
    unknown = personal.post("/v1/analyze", json={"program": "xyz", "narratives": [{"text": FOOD_WASTE}]})
    assert unknown.status_code == 422 and unknown.json()["error"].startswith("unknown program 'xyz'")
    none = personal.post("/v1/analyze", json={"program": "cpt", "narratives": []})
    assert none.json() == {"error": "narratives: List should have at least 1 item after validation, not 0"}


def test_bodies_over_the_limit_are_413_before_they_are_read(api_data_dir):
    settings = Settings(data_dir=api_data_dir, knowledge_dir=SHIPPED_KNOWLEDGE, max_upload_bytes=4096)
    with TestClient(create_app(settings.model_copy(update={"api_max_body_bytes": 20_000}))) as client:
        declared = client.post("/v1/analyze", json={"narratives": [{"text": "word " * 5000}]})
        assert declared.status_code == 413
        assert declared.json() == {"error": "the request body is over the 20,000 byte limit"}

        def chunks():  # no Content-Length: counted as it arrives
            yield b'{"narratives": [{"text": "'
            for _ in range(30):
                yield b"word " * 200
            yield b'"}]}'

        streamed = client.post("/v1/analyze", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["error"].startswith("the request body is over")
        narrative = client.post("/v1/analyze", json={"narratives": [{"text": "word " * 1000, "name": "big.md"}]})
        assert narrative.status_code == 413
        assert narrative.json() == {"error": "big.md: the text is over the 4 KB limit"}


def test_unknown_paths_and_methods_are_one_line_too(personal):
    assert personal.get("/v1/nothing").json() == {"error": "Not Found"}
    assert personal.get("/v1/ask").status_code == 405


def test_no_narrative_or_question_reaches_the_log(personal, caplog):
    marker = "Zanzibar-quokka-7731"
    caplog.set_level(logging.DEBUG)
    narrative = FOOD_WASTE + f"\n\nThe client, {marker}, signed off the results."
    assert personal.post("/v1/analyze", json={"narratives": [{"text": narrative}]}).status_code == 200
    assert personal.post("/v1/ask", json={"question": f"Is {marker} eligible?", "program": "xyz"}).status_code == 422
    assert personal.post("/v1/analyze", json={"program": "nope", "narratives": [{"text": narrative}]}).status_code
    assert marker not in caplog.text


def test_an_unexpected_error_is_a_500_logged_without_its_message(api_data_dir, caplog):
    app = create_app(Settings(data_dir=api_data_dir, knowledge_dir=SHIPPED_KNOWLEDGE))

    @app.post("/boom")
    def boom() -> None:
        quoted = "-".join(["Zanzibar", "quokka"])  # as a user's text would be: a value, not in the source
        raise RuntimeError(f"the narrative said {quoted}")

    caplog.set_level(logging.DEBUG)
    response = TestClient(app).post("/boom")  # no lifespan: nothing loads
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (RuntimeError); the server log has the details"}
    assert "POST /boom failed with RuntimeError" in caplog.text and "Zanzibar" not in caplog.text


# --- service -------------------------------------------------------------------------------------------


def test_health_and_readiness(personal):
    assert personal.get("/health").json() == {"status": "ok"}
    ready = personal.get("/ready")
    assert ready.status_code == 200, ready.text
    parts = ready.json()["parts"]
    assert set(parts) == {"knowledge", "index", "database", "models"}
    assert all(p["ready"] for p in parts.values())
    assert parts["knowledge"]["detail"] == "3 programs: cpo, cpt, pmp"


def test_the_committed_openapi_document_is_the_apps(personal):
    committed = json.loads(COMMITTED.read_text())
    assert committed == schema(), "docs/openapi.json is stale: run `python -m app.api.openapi`"
    assert personal.get("/openapi.json").json() == committed
    assert personal.get("/docs").status_code == 200
    paths = {"/health", "/ready", "/v1/token", "/v1/ask", "/v1/analyze", "/v1/check", "/v1/recert", "/v1/programs"}
    assert set(committed["paths"]) == paths
