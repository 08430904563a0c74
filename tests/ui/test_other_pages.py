"""Application, mentor review, batch screening and knowledge browser pages, each through its main flow."""

from __future__ import annotations

import datetime as dt

import pytest

from app.config import REPO_ROOT
from app.documents import read_document
from app.mapping.service import get_analyzer
from tests.ui.conftest import errors, frame, page

pytestmark = pytest.mark.slow
EXAMPLES = REPO_ROOT / "examples"


def _checked_draft(db, settings, workspace_id, path):
    draft = db.create_draft(workspace_id, path.stem, path.read_text())
    result = get_analyzer(settings, "cpt").analyze(read_document(path).model_copy(update={"source": path.stem}))
    db.save_version(draft.id, draft.text, result.model_dump(mode="json"))
    return draft


def test_cpo_application_counts_the_hours_log(ui_settings, db):
    ws = db.create_workspace("Jane Doe", "cpo")
    at = page("application", ws=ws.id)
    assert errors(at) == []
    at.date_input(key="applied-on").set_value(dt.date(2026, 11, 1))
    at.selectbox(key="education").set_value("bachelor")
    at.checkbox(key="ethics").check()
    csv = (EXAMPLES / "cpo/hours.csv").read_bytes()
    at.file_uploader(key="hours-log").set_value(("hours.csv", csv, "text/csv")).run()
    assert [e.value for e in at.exception] == []
    # the log's unparseable date is a rejected row, not a page error
    text = " ".join(m.value for m in at.markdown)
    assert "1,240 paid hours fall inside the 5-year window" in text
    rejected = frame(at, "reason")
    assert "unpaid work does not count" in set(rejected["reason"])
    assert len(at.get("vega_lite_chart")) == 1
    saved = db.get_setting(ws.id, "application")
    assert saved["education"] == "bachelor" and saved["hours_csv"].startswith("date,")

    again = page("application", ws=ws.id)  # a new session finds the log and the answers saved
    assert "1,240 paid hours fall inside the 5-year window" in " ".join(m.value for m in again.markdown)


def test_cpo_hours_log_with_missing_columns_is_a_clear_error(ui_settings, db):
    ws = db.create_workspace("Bad log", "cpo")
    at = page("application", ws=ws.id)
    at.file_uploader(key="hours-log").set_value(("h.csv", b"date,hours\n2026-01-01,3\n", "text/csv")).run()
    assert "h.csv: missing column 'client'" in errors(at)


def test_cpt_application_matrix_and_attestations(ui_settings, db):
    ws = db.create_workspace("Sam Rivera", "cpt")
    for name in ("food-waste", "medication-errors"):
        _checked_draft(db, ui_settings, ws.id, EXAMPLES / f"cpt/projects/{name}.md")
    db.set_setting(ws.id, "application", {"roles": [{"role": "Consultant", "start": "2019-01", "end": None}]})
    db.replace_attestations(
        ws.id, [{"project": "food-waste", "name": "Ana Costa", "relation": "supervisor", "state": "signed"}]
    )
    at = page("application", ws=ws.id)
    assert errors(at) == []
    matrix = frame(at, "standard")
    assert list(matrix.columns) == ["standard", "food-waste", "medication-errors"]
    assert len(matrix) == 10 and matrix["standard"].iloc[-1].startswith("S10 ")
    tracker = at.data_editor(key="attestations").value
    assert list(tracker["name"]) == ["Ana Costa"]
    checklist = " ".join(m.value for m in at.markdown)
    assert ":red[:material/cancel:] **Signed commitment to the ISPI Code of Ethics**" in checklist
    assert "sources: " in checklist and "rule “" in checklist
    assert "❌" not in checklist and "✅" not in checklist  # emoji render as empty boxes without an emoji font


def test_mentor_comments_status_and_questions(ui_settings, db):
    ws = db.create_workspace("Mentee", "cpt")
    draft = _checked_draft(db, ui_settings, ws.id, EXAMPLES / "cpt/projects/food-waste.md")
    at = page("mentor", ws=ws.id)
    assert errors(at) == []
    assert any("Questions to ask" in m.value for m in at.markdown)
    at.segmented_control(key=f"status-{draft.id}").set_value("for review").run()
    assert db.draft(draft.id).status.value == "for review"
    at.selectbox(key="comment-standard").set_value("S3")
    at.text_input(key="mentor-name").set_value("Alex")
    at.text_area(key="comment-text").set_value("What did the waste cost before and after?")
    at.button(key="comment-add").click().run()
    [comment] = db.comments(draft.id)
    assert (comment.author, comment.standard_id) == ("Alex", "S3")
    assert any("What did the waste cost before and after?" in m.value for m in at.markdown)
    assert [s.value for s in at.success] == ["Comment added on S3 Add Value; the candidate will see it."]
    assert at.text_input(key="mentor-name").value == "Alex"  # the form keeps the mentor's name
    at.button(key="comment-add").click().run()  # empty comment
    assert "the comment is empty" in errors(at)
    assert page("mentor", ws=ws.id).text_input(key="mentor-name").value == "Alex"  # and a new session too

    # the candidate sees the comment on the Narrative check page, beside the standard, and the status
    candidate = page("narrative", ws=ws.id)
    assert errors(candidate) == []
    shown = [i.value for i in candidate.info]
    assert any("Alex" in line and "What did the waste cost before and after?" in line for line in shown), shown
    assert any("Review status:** for review · 1 mentor comment" in m.value for m in candidate.markdown)
    [expander] = [e for e in candidate.expander if e.label.startswith("S3 ")]
    assert expander.label.endswith("· 1 comment")


def test_staff_batch_screening(ui_settings):
    at = page("screening")
    files = [
        ("application.yaml", (EXAMPLES / "cpo/application.yaml").read_bytes(), "text/yaml"),
        ("hours.csv", (EXAMPLES / "cpo/hours.csv").read_bytes(), "text/csv"),
        ("other.yaml", b"program: cpo\napplicant: Bo\napplied_on: 2026-13-01\n", "text/yaml"),
    ]
    at.file_uploader(key="screening-files").set_value(files).run()
    at.button(key="screen").click().run()
    assert [e.value for e in at.exception] == []
    table = frame(at, "verdict")
    assert list(table["file"]) == ["application.yaml", "other.yaml"]
    assert list(table["verdict"]) == ["not eligible", "cannot check"]
    assert "applied_on" in table["problems"][1]
    assert [b.label for b in at.get("download_button")] == ["Download (.csv)"]
    # every row readable in full below the table, whose cells are cut at the column width
    jane = next(e for e in at.expander if e.label.startswith("Jane Doe (cpo): not eligible"))
    assert any(m.value.startswith("**Unmet:** 1,500 hours of paid work") and "window" in m.value for m in jane.markdown)


def test_knowledge_browser_shows_rules_with_sources_and_confidence(ui_settings, db):
    ws = db.create_workspace("Browse", "cpt")
    at = page("knowledge", ws=ws.id)
    assert errors(at) == []
    rules = frame(at, "confidence")
    assert {"confirmed", "uncertain"} <= set(rules["confidence"])
    assert all(rules["sources"])
    assert [e.label for e in at.expander][:2] == ["S1 Focus on Results or Outcomes", "S2 Take a Systemic View"]


def test_cpo_chart_and_checklist_count_the_degree_once(ui_settings, db):
    ws = db.create_workspace("Degree once", "cpo")
    db.set_setting(
        ws.id,
        "application",
        {
            "applied_on": "2026-11-01",
            "education": "bachelor",
            "ethics": True,
            "hours_csv": (EXAMPLES / "cpo/hours.csv").read_text(),
            "substitutions": [{"category": "continuing_education", "hours": 30, "date": "2025-06-01", "note": None}],
        },
    )
    at = page("application", ws=ws.id)
    assert errors(at) == []
    checklist = " ".join(m.value for m in at.markdown)
    assert "the bachelor degree adds 75; other substitute hours add 30" in checklist
    captions = " ".join(c.value for c in at.caption)
    # 75 + 30, not 75 + 105: the chart and the checklist come from one computation
    assert "plus 105 substitute hours (the bachelor degree adds 75; other substitute hours add 30)" in captions
    # the categories are a choice list with readable names, degree excluded (it comes from education)
    assert "continuing education or ceus" in " ".join(m.value for m in at.markdown).lower()


def test_the_mentor_sees_why_a_standard_is_only_partial():
    """The reason the engine gives (planned, someone else's work) is beside the status for the mentor too."""
    from app.mapping.models import Basis, StandardResult, Status
    from app.ui.render import status_label

    planned = StandardResult(
        id="S10",
        title="Evaluate",
        status=Status.partial,
        confidence=0.9,
        evidence=[],
        criteria_met=[],
        suggestion=None,
        basis=Basis.planned,
    )
    assert status_label(planned).endswith("partial · planned, not reported as done")
    assert "·" not in status_label(planned.model_copy(update={"status": Status.missing, "basis": Basis.none}))


def test_pmp_application_form_comes_from_its_checks(ui_settings, db):
    """A program added as data gets its own form: education, experience, contact hours and the credentials
    its checks know (CAPM instead of hours, a GAC degree shortening the experience), and no CPT or CPO fields."""
    ws = db.create_workspace("Lena Okafor", "pmp")
    db.set_setting(
        ws.id,
        "application",
        {"roles": [{"role": "Project lead", "start": "2024-01", "end": "2025-12"}], "education": "bachelor"},
    )
    at = page("application", ws=ws.id)
    assert errors(at) == []
    assert at.title[0].value == "Application: PMP"
    assert [m.label for m in at.multiselect] == ["Credentials held"]
    assert at.multiselect(key="credentials").options == ["CAPM", "gac degree"]
    assert at.get("file_uploader") == []  # no hours log: the PMP counts months, not hours
    assert [e.key for e in at.get("data_editor")] == ["roles"]  # no attestation tracker either
    at.date_input(key="applied-on").set_value(dt.date(2026, 11, 2))
    at.number_input(key="education-hours").set_value(35).run()
    checklist = " ".join(m.value for m in at.markdown)
    # 24 months leading projects: short of the 36 a bachelor needs ...
    assert "24 months (2.0 years) of experience within the 8 years before applying" in checklist
    assert "the minimum is 36 months with bachelor education" in checklist
    assert "35 of the 35 hours of instruction" in checklist
    # ... and enough with a degree from a GAC-accredited program, a rule only third-party pages state
    at.multiselect(key="credentials").select("gac_degree").run()
    checklist = " ".join(m.value for m in at.markdown)
    assert "the minimum is 24 months with gac degree" in checklist
    assert ":green[:material/check_circle:] **Months leading and directing projects" in checklist
    assert "rule uncertain" in checklist
    assert db.get_setting(ws.id, "application", {})["credentials"] == ["gac_degree"]
