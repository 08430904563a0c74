"""Narrative check page: paste or upload, the matrix, evidence highlighted, versions compared, exports."""

from __future__ import annotations

import re

import pytest

from app.config import REPO_ROOT
from tests.ui.conftest import errors, frame, page

pytestmark = pytest.mark.slow
PROJECTS = REPO_ROOT / "examples" / "cpt" / "projects"


def _check_key(at) -> str:
    return next(b.key for b in at.button if (b.key or "").startswith("check-"))


def test_paste_check_revise_and_compare(ui_settings, db):
    at = page("narrative")
    assert errors(at) == []
    # paste first, no title asked: the project is named after its first line, and can be renamed later
    text = (PROJECTS / "food-waste.md").read_text()
    at.text_area(key="new-draft-text").set_value(text)
    at.button(key="new-draft-add").click().run()
    assert errors(at) == []
    [draft] = db.drafts(db.workspaces()[0].id)
    assert draft.title == "Cutting waste in a food factory" and draft.text == text
    labels = [e.label for e in at.expander]
    assert "S6 Determine Cause — ✔ demonstrated" in " | ".join(labels)
    order = {"✘": 0, "◐": 1, "✔": 2}  # missing, partial, demonstrated
    ranks = [order[label.split(" — ")[1][0]] for label in labels if " — " in label and label[0] == "S"]
    assert ranks == sorted(ranks) and ranks[0] < 2, ("gaps first", labels)
    shown = " ".join(m.value for m in at.markdown) + " ".join(w.value for w in at.warning)
    assert "· projects:" not in shown and "· At least 3 projects: 1 project(s) listed" in shown  # by name, not id
    assert re.search(r"- [A-Z][^*]{20,} \*\(S\d+\.C\d+\)\*", shown), "criteria in words, the id second"
    at.text_input(key=f"rename-{draft.id}").set_value("Food waste")
    at.button(key=f"rename-save-{draft.id}").click().run()
    assert db.draft(draft.id).title == "Food waste"
    edited = text + "\n"
    at.text_area(key=f"draft-text-{draft.id}").set_value(edited).run()
    assert db.draft(draft.id).text == edited, "autosaved when the text changed"
    at.button(key=_check_key(at)).click().run()
    matrix = frame(at, "Food waste").set_index("standard")
    assert list(matrix.columns) == ["Food waste"] and matrix.loc["S6 Determine Cause", "Food waste"] == "✔ demonstrated"
    assert [b.label for b in at.get("download_button")][:4] == [
        "Gap report (.md)",
        "Gap report (.docx)",
        "Gap report (.pdf)",
        "Coverage matrix (.csv)",
    ]
    [narrative] = [h.proto.body for h in at.get("html") if "certprep-narrative" in h.proto.body]
    assert narrative.count("<mark ") >= 1, "the chosen standard's evidence is highlighted in the narrative"

    revised = text + "\n\nThe new sheet saved the plant 41,000 euros a year, against 6,000 euros of work by my team."
    at.text_area(key=f"draft-text-{draft.id}").set_value(revised).run()
    assert any("changed since the last check" in w.value for w in at.warning)
    at.button(key=_check_key(at)).click().run()
    changes = frame(at, "change")
    assert list(changes.columns[:4]) == ["standard", "change", "before", "after"]
    assert len(changes) == 10 and [v.number for v in db.versions(draft.id)] == [1, 2, 3]


def test_upload_becomes_a_checked_draft_and_script_shows_literally(ui_settings, db):
    at = page("narrative")
    data = (PROJECTS / "medication-errors.md").read_bytes() + b"\n\n<script>alert(1)</script> I measured the baseline."
    at.file_uploader(key="narrative-upload").set_value(("medication-errors.md", data, "text/markdown")).run()
    assert errors(at) == []
    drafts = {d.title: d for d in db.drafts(db.workspaces()[0].id)}
    assert "medication-errors" in drafts and db.versions(drafts["medication-errors"].id)[0].analysis
    assert "medication-errors" in list(frame(at, "standard").columns)
    text = " ".join(m.value for m in at.markdown)
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert "<script>" not in text and "<script>" not in shown and "&lt;script&gt;" in shown


def test_bad_upload_and_empty_text_give_clear_errors(ui_settings, db):
    at = page("narrative")
    at.file_uploader(key="narrative-upload").set_value(("broken.pdf", b"%PDF-1.4 not really", "application/pdf")).run()
    assert any(e.startswith("broken.pdf:") for e in errors(at))
    before = db.drafts(db.workspaces()[0].id)
    at.selectbox[0].set_value(0).run()  # + New project
    at.button(key="new-draft-add").click().run()
    assert any("the text is empty" in e for e in errors(at))
    assert db.drafts(db.workspaces()[0].id) == before, "nothing is created from an empty paste"


def test_highlighting_escapes_the_narrative():
    from app.ui.render import highlighted

    out = highlighted("<b>x</b> and *we* measured it", [(13, 30)])
    assert "<b>" not in out and "&lt;b&gt;x&lt;/b&gt;" in out
    assert out.count("<mark ") == 1 and ">*we* measured it</mark>" in out
