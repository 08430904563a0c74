"""Reviewer verdicts through the pages (issue 24): a mentor overrides the engine on the Mentor review page,
the candidate sees it beside the engine's status (and "from v1" once the draft moves on), staff read the
agreement figures, and the candidate has no way to set a verdict."""

from __future__ import annotations

import pytest

from app.accounts import Accounts, Principal
from app.config import REPO_ROOT
from app.documents import read_document
from app.mapping.service import get_analyzer
from app.reports.gap_report import coverage_csv, report_blocks, to_markdown
from app.reports.workspace import workspace_analysis, workspace_comments, workspace_reviews
from app.storage import Storage
from app.storage.access import WorkspaceStore
from tests.ui.conftest import errors, frame
from tests.ui.test_access_pages import page_as

pytestmark = pytest.mark.slow
OPERATOR = Principal.operator()
PROJECT = REPO_ROOT / "examples" / "cpt" / "projects" / "food-waste.md"


@pytest.fixture
def reviewed(organization_settings):
    settings = organization_settings
    storage = Storage(settings.database_path)
    accounts = Accounts(storage, settings)
    tokens = {}
    for name, role in [("ann", "candidate"), ("mia", "mentor"), ("sid", "staff")]:
        accounts.add(OPERATOR, name, role, f"{name}-long-password-1", name.title())
        tokens[name] = accounts.sign_in(name, f"{name}-long-password-1")
    accounts.assign(OPERATOR, "mia", "ann")
    ann = WorkspaceStore(storage, accounts.principal(tokens["ann"]))
    ws = ann.create_workspace("Ann — CPT 2027", "cpt")
    text = PROJECT.read_text()
    draft = ann.create_draft(ws.id, "Food waste", text)
    result = get_analyzer(settings, "cpt").analyze(read_document(PROJECT))
    ann.save_version(draft.id, text, result.model_dump(mode="json"))
    engine = {s.id: s.status.value for s in result.standards}
    return {
        "tokens": tokens,
        "ws": ws,
        "draft": draft,
        "ann": ann,
        "engine": engine,
        "result": result,
        "storage": storage,
        "settings": settings,
    }


def test_a_mentor_override_shows_on_the_candidates_page_in_the_exports_and_in_staff_agreement(reviewed):
    d, engine, tokens = reviewed["draft"].id, reviewed["engine"], reviewed["tokens"]
    override = "partial" if engine["S3"] == "demonstrated" else "demonstrated"
    mentor = page_as("mentor", tokens["mia"], ws=reviewed["ws"].id)
    assert errors(mentor) == []
    mentor.radio(key=f"verdict-status-{d}-S3").set_value(override)
    mentor.button(key=f"verdict-save-{d}-S3").click().run()
    assert "a reason is needed to override the engine" in " ".join(errors(mentor))  # nothing saved without one
    assert reviewed["storage"].verdicts(d) == []
    mentor.radio(key=f"verdict-status-{d}-S3").set_value(override)
    mentor.text_input(key=f"verdict-reason-{d}-S3").set_value("the saving is an estimate, not measured")
    mentor.button(key=f"verdict-save-{d}-S3").click().run()
    assert errors(mentor) == []
    assert [s.value for s in mentor.success] == [f"S3 overridden: {override}; the candidate sees your verdict."]
    mentor.button(key=f"verdict-save-{d}-S8").click().run()  # confirm the engine's S8 as it stands
    [s3, s8] = sorted(reviewed["storage"].verdicts(d), key=lambda v: v.standard_id)
    assert (s3.status, s3.engine_status, s3.reviewer, s3.version) == (override, engine["S3"], "Mia", 1)
    assert (s8.status, s8.overrides) == (engine["S8"], False)

    candidate = page_as("narrative", tokens["ann"], ws=reviewed["ws"].id)
    assert errors(candidate) == []
    [expander] = [e for e in candidate.expander if e.label.startswith("S3 ")]
    plain = expander.label.replace("✔ ", "").replace("◐ ", "").replace("✘ ", "")
    assert plain.startswith(f"S3 Add Value — {override} (reviewer) · engine: {engine['S3']}"), plain
    lines = " ".join(m.value for m in candidate.markdown)
    assert "Reviewer verdict (Mia)" in lines and "overrides the engine" in lines
    assert "the saving is an estimate, not measured" in lines
    disagree = frame(candidate, "reviewer")
    assert list(disagree["standard"]) == ["S3 Add Value"]
    assert not [r for r in candidate.radio if r.key and r.key.startswith("verdict-status")]  # no way to set one

    # the exports carry both
    store = reviewed["ann"]
    analysis = workspace_analysis(store, _kb(reviewed), reviewed["ws"].id)
    reviews = workspace_reviews(store, reviewed["ws"].id)
    report = to_markdown(
        report_blocks(analysis, comments=workspace_comments(store, reviewed["ws"].id), reviews=reviews)
    )
    assert f"S3 Add Value: {engine['S3']}" in report and f"reviewer: {override} (Mia)" in report
    assert "Reviewer verdict (Mia, v1): " + override + ", overrides the engine" in report
    csv_lines = coverage_csv(analysis, reviews).splitlines()
    assert csv_lines[0].endswith(
        "S10,S1 reviewer,S2 reviewer,S3 reviewer,S4 reviewer,S5 reviewer,S6 reviewer,"
        "S7 reviewer,S8 reviewer,S9 reviewer,S10 reviewer"
    )
    assert csv_lines[1].split(",")[13] == override

    # staff: agreement over what they may read
    staff = page_as("agreement", tokens["sid"], ws=reviewed["ws"].id)
    assert errors(staff) == []
    table = frame(staff, "kappa")
    row = table[table["standard"] == "S3 Add Value"].iloc[0]
    assert (row["verdicts"], row["confirm"]) == (1, 0)
    assert {m.label: m.value for m in staff.metric}["Verdicts"] == "2"
    assert "for the certifying body's staff" in " ".join(
        errors(page_as("agreement", tokens["mia"], ws=reviewed["ws"].id))
    )

    # a new version: the old verdicts read "from v1" until the mentor looks again
    store.save_version(
        reviewed["draft"].id, PROJECT.read_text() + "\n\nA note.", reviewed["result"].model_dump(mode="json")
    )
    candidate = page_as("narrative", tokens["ann"], ws=reviewed["ws"].id)
    [expander] = [e for e in candidate.expander if e.label.startswith("S3 ")]
    assert "reviewer, from v1:" in expander.label
    assert "from v1: given on an earlier version" in " ".join(m.value for m in candidate.markdown)


def test_the_owner_alone_gives_training_consent(reviewed):
    candidate = page_as("narrative", reviewed["tokens"]["ann"], ws=reviewed["ws"].id)
    candidate.checkbox(key="training-consent").check().run()
    assert reviewed["ann"].training_allowed(reviewed["ws"].id)
    mentor = page_as("narrative", reviewed["tokens"]["mia"], ws=reviewed["ws"].id)
    assert not [c for c in mentor.checkbox if c.key == "training-consent"]


def _kb(reviewed):
    from app.knowledge.loader import load_knowledge

    return load_knowledge(reviewed["settings"].knowledge_dir)["cpt"]
