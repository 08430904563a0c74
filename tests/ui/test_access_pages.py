"""Organization mode in the pages: nothing before a sign-in, nobody reaches another's workspace through the
sidebar, ``?ws=`` or a deep link to a page, each role's page does what the role may, and a disabled account
or an ended session stops at the next click. (The rules themselves are tested in tests/storage.)"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.accounts import Accounts, Principal
from app.storage import Storage
from app.storage.access import WorkspaceStore
from app.ui.auth import TOKEN_KEY
from tests.ui.conftest import PAGES, TIMEOUT, frame

OPERATOR = Principal.operator()
ROLES = [("ann", "candidate"), ("ben", "candidate"), ("mia", "mentor"), ("sid", "staff"), ("ada", "admin")]
SECRET = "Harbourview Dental lost 23% of patients (confidential-5521)"


@pytest.fixture
def org(organization_settings):
    settings = organization_settings
    storage = Storage(settings.database_path)
    accounts = Accounts(storage, settings)
    tokens = {}
    for name, role in ROLES:
        accounts.add(OPERATOR, name, role, f"{name}-long-password-1", name.title())
        tokens[name] = accounts.sign_in(name, f"{name}-long-password-1")
    accounts.assign(OPERATOR, "mia", "ann")
    ann = WorkspaceStore(storage, accounts.principal(tokens["ann"]))
    workspace = ann.create_workspace("Ann — CPT 2027", "cpt")
    draft = ann.create_draft(workspace.id, "Dental churn", SECRET)
    return {"accounts": accounts, "tokens": tokens, "ws": workspace, "draft": draft, "storage": storage}


def page_as(name: str, token: str | None, **query) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    if token:
        at.session_state[TOKEN_KEY] = token
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at.run()


def shown(at: AppTest) -> str:
    """Everything a user can read on the page, widgets' values and options included."""
    kinds = ("title", "markdown", "caption", "info", "warning", "error", "success")
    parts = [e.value for kind in kinds for e in at.get(kind)]
    parts += [str(t.value) for t in at.text_area] + [e.label for e in at.expander]
    parts += [" ".join(map(str, s.options)) for s in at.selectbox]
    return "\n".join(map(str, parts))


def test_nothing_is_shown_before_signing_in(org):
    for name in ("chat", "narrative", "mentor", "application", "screening", "knowledge", "accounts"):
        at = page_as(name, None, ws=org["ws"].id)
        text = shown(at)
        assert "sign in" in text.lower(), name
        assert "Ann — CPT 2027" not in text and "confidential-5521" not in text, name
        assert not at.sidebar.selectbox, name


def test_another_candidate_reaches_nothing_by_the_sidebar_the_url_or_a_deep_link(org):
    ben = org["tokens"]["ben"]
    for name in ("narrative", "mentor", "application", "chat"):
        at = page_as(name, ben, ws=org["ws"].id, draft=org["draft"].id)
        assert [e.value for e in at.exception] == [], name
        text = shown(at)
        assert "confidential-5521" not in text and "Dental churn" not in text, name
        assert f"Workspace {org['ws'].id} does not exist or is not yours to open." in text, name
        workspace_choice = at.sidebar.selectbox(key="workspace-choice")
        assert "Ann — CPT 2027" not in " ".join(workspace_choice.options), name
    assert "Batch screening is for the certifying body's staff" in shown(page_as("screening", ben))
    assert "only an administrator can manage accounts" in shown(page_as("accounts", ben))


def test_a_mentor_reads_an_assigned_candidate_read_only_and_signs_comments_with_the_account(org):
    mia = org["tokens"]["mia"]
    at = page_as("mentor", mia, ws=org["ws"].id)
    assert [e.value for e in at.exception] == []
    assert "confidential-5521" in shown(at)
    assert at.segmented_control(key=f"status-{org['draft'].id}").disabled is False
    narrative = page_as("narrative", mia, ws=org["ws"].id, draft=org["draft"].id)
    assert not narrative.text_area and SECRET in shown(narrative)  # read, not an editor
    assert "its owner has not run a check" in shown(narrative)
    assert not [b for b in narrative.button if b.key == f"check-{org['draft'].id}"]
    assert not [u for u in narrative.get("file_uploader")]
    org["accounts"].assign(OPERATOR, "mia", "ann", assigned=False)
    after = page_as("mentor", mia, ws=org["ws"].id)
    assert "confidential-5521" not in shown(after)


def test_staff_read_everything_preview_answer_styles_and_screen(org):
    sid = org["tokens"]["sid"]
    at = page_as("narrative", sid, ws=org["ws"].id, draft=org["draft"].id)
    assert "confidential-5521" in shown(at)
    assert at.sidebar.radio(key="role-choice").label == "Preview answers as"
    assert "Batch screening is for" not in shown(page_as("screening", sid))


def test_roles_are_the_accounts_not_a_choice(org):
    at = page_as("chat", org["tokens"]["ann"])
    assert not [r for r in at.sidebar.radio if r.key == "role-choice"]
    assert "**Ann** · candidate" in shown(at)


def test_the_administrator_page_lists_accounts_and_the_audit_log(org):
    at = page_as("accounts", org["tokens"]["ada"])
    assert [e.value for e in at.exception] == []
    accounts = frame(at, "username")
    assert list(accounts["username"]) == ["ada", "ann", "ben", "mia", "sid"]
    assert accounts.loc[accounts["username"] == "mia", "mentors / candidates"].item() == "ann"
    audit = frame(at, "action")
    assert {"sign in", "create", "change"} <= set(audit["action"])
    assert not audit.apply(lambda col: col.astype(str).str.contains("confidential-5521")).any().any()


def test_a_disabled_account_or_an_ended_session_stops_at_the_next_click(org):
    ann = org["tokens"]["ann"]
    at = page_as("narrative", ann, ws=org["ws"].id)
    assert "confidential-5521" in shown(at)
    org["accounts"].set_disabled(OPERATOR, "ann")
    at.run()
    text = shown(at)
    assert "confidential-5521" not in text and "Your session has ended" in text
    org["accounts"].set_disabled(OPERATOR, "ann", False)
    org["accounts"].sign_out(org["tokens"]["ben"])
    assert "Your session has ended" in shown(page_as("chat", org["tokens"]["ben"]))


def test_a_mentor_who_starts_in_an_empty_workspace_of_their_own_is_pointed_to_the_candidates_work(org):
    at = page_as("mentor", org["tokens"]["mia"])
    text = shown(at)
    assert "No project drafts in this workspace yet" in text
    assert [b.label for b in at.button if b.key.startswith("review-ws-")] == ["Ann — CPT 2027 — Ann (ann)"]
    assert "Ben" not in text  # Ben's workspace is not hers to review
    at.button(key=f"review-ws-{org['ws'].id}").click().run()
    assert "confidential-5521" in shown(at) and at.segmented_control(key=f"status-{org['draft'].id}")
