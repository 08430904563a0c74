"""Narrative check: which standards each project demonstrates, where the evidence is, what to add."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.documents import DocumentError, read_bytes, read_text_input
from app.documents.titles import title_from_text
from app.mapping.compare import compare
from app.mapping.models import ProjectResult
from app.reports.workspace import workspace_analysis
from app.reviews import draft_reviews
from app.storage import Draft, DraftStatus, StorageError, Version
from app.storage.access import Permission
from app.storage.uploads import safe_name
from app.ui import resources
from app.ui.context import Context, sidebar
from app.ui.exports import gap_report_downloads
from app.ui.render import (
    STATUS_LABEL,
    comment_lines,
    disagreements,
    heatmap,
    literal,
    matrix_frame,
    requirements,
    standard_details,
)

UPLOAD_TYPES = ["txt", "md", "docx", "pdf"]


def _text_key(draft_id: int) -> str:
    return f"draft-text-{draft_id}"


def _autosave(ctx: Context, draft_id: int) -> None:
    try:
        ctx.store.save_text(draft_id, st.session_state[_text_key(draft_id)])
        st.session_state["saved-note"] = "Draft saved."
    except StorageError as exc:
        st.session_state["draft-error"] = str(exc)


def _check(ctx: Context, draft: Draft, text: str) -> None:
    try:
        document = read_text_input(text, source=draft.title)
    except DocumentError as exc:
        st.error(str(exc))
        return
    with st.status(f"Checking “{draft.title}” against the {ctx.kb.program.short_name} standards…") as status:
        result = resources.analyzer(ctx.program).analyze(document)
        ctx.store.save_version(draft.id, text, result.model_dump(mode="json"))
        status.update(label=f"Checked “{draft.title}”.", state="complete")


NEW = 0  # the draft selector's "new project" entry


def _select_draft(ctx: Context, drafts: list[Draft]) -> int:
    """The chosen draft's id, or NEW. Remembered per workspace across page changes."""
    ids = [d.id for d in drafts]
    # this session first, as for the workspace and role (app.ui.context): a rerun can carry an older query
    remembered = st.session_state.get(f"draft-of-{ctx.workspace.id}") or st.query_params.get("draft")
    wanted = int(remembered) if remembered and str(remembered).isdigit() else None
    options = [*ids, NEW]
    index = options.index(wanted) if wanted in options else (len(ids) - 1 if ids else 0)
    titles = {d.id: f"{d.title} ({d.status.value})" for d in drafts}
    chosen = st.selectbox(
        "Project", options, index=index, format_func=lambda i: titles.get(i, "+ New project: paste or write it")
    )
    st.query_params["draft"] = str(chosen)
    st.session_state[f"draft-of-{ctx.workspace.id}"] = str(chosen)
    return chosen


def _new_project(ctx: Context, drafts: list[Draft]) -> None:
    """Paste first, name it later: the title is optional and defaults to the text's first line."""
    text = st.text_area(
        "Paste or write a project narrative",
        key="new-draft-text",
        height=320,
        max_chars=ctx.settings.max_upload_bytes,
        placeholder="Describe one project: the problem, what you did, with whom, and the results.",
    )
    title = st.text_input(
        "Title (optional: taken from the first line, and you can rename it later)",
        key="new-draft-title",
        placeholder="e.g. Fewer repeat visits for broadband installs",
    )
    if st.button("Check this project", type="primary", key="new-draft-add"):
        if not text.strip():
            st.error("Paste or write the narrative first: the text is empty.")
            return
        try:
            name = title.strip() or title_from_text(text, {d.title for d in drafts})
            draft = ctx.store.create_draft(ctx.workspace.id, name, text)
        except StorageError as exc:
            st.error(str(exc))
            return
        st.session_state[_text_key(draft.id)] = text
        _check(ctx, draft, text)
        for key in ("new-draft-text", "new-draft-title"):
            st.session_state.pop(key, None)
        st.query_params["draft"] = str(draft.id)
        st.session_state[f"draft-of-{ctx.workspace.id}"] = str(draft.id)
        st.rerun()


def _rename(ctx: Context, draft: Draft) -> None:
    with st.popover("Rename", icon=":material/edit:"):
        title = st.text_input("New title", value=draft.title, key=f"rename-{draft.id}")
        if st.button("Save title", key=f"rename-save-{draft.id}") and title.strip() != draft.title:
            try:
                ctx.store.rename_draft(draft.id, title)
            except StorageError as exc:
                st.error(str(exc))
            else:
                st.rerun()


def _upload(ctx: Context, drafts: list[Draft]) -> None:
    """An uploaded file becomes a draft named after the file (or a new version of it), checked at once."""
    upload = st.file_uploader(
        f"Upload a narrative (.txt, .md, .docx, .pdf, up to {ctx.settings.upload_limit_text}): it becomes a "
        "project draft and is checked at once",
        type=UPLOAD_TYPES,
        key="narrative-upload",
    )
    if upload is None or st.session_state.get("narrative-upload-done") == upload.file_id:
        return
    st.session_state["narrative-upload-done"] = upload.file_id
    try:
        document = read_bytes(upload.getvalue(), upload.name, ctx.settings.max_upload_bytes)
    except DocumentError as exc:
        st.error(str(exc))
        return
    if document.notice:
        st.info(document.notice)
    title = upload.name.rsplit(".", 1)[0] or upload.name
    draft = next((d for d in drafts if d.title == title), None)
    try:
        draft = draft or ctx.store.create_draft(ctx.workspace.id, title)
    except StorageError as exc:
        st.error(str(exc))
        return
    st.session_state[_text_key(draft.id)] = document.text
    _check(ctx, draft, document.text)
    st.query_params["draft"] = str(draft.id)
    st.session_state[f"draft-of-{ctx.workspace.id}"] = str(draft.id)
    st.rerun()


def _changes(ctx: Context, draft: Draft, versions: list[Version]) -> None:
    """``versions``: the draft's checked versions, oldest first."""
    if len(versions) < 2:
        return
    old, new = (ProjectResult.model_validate(v.analysis) for v in versions[-2:])
    comparison = compare(ctx.program, old, new)
    st.subheader(f"What changed since the last version (v{versions[-2].number} → v{versions[-1].number})")
    rows = [
        {
            "standard": f"{c.id} {c.title}",
            "change": {"improved": "▲ improved", "regressed": "▼ regressed"}.get(c.change, "= unchanged"),
            "before": STATUS_LABEL[c.before],
            "after": STATUS_LABEL[c.after],
            "confidence change": f"{c.confidence_delta:+.2f}",
            "criteria added": ", ".join(c.criteria_added),
            "criteria lost": ", ".join(c.criteria_lost),
        }
        for c in comparison.standards
    ]
    with st.container(key=f"changes-{draft.id}"):
        st.table(pd.DataFrame(rows).set_index("standard"))


def _editor(ctx: Context, draft: Draft, key: str) -> None:
    """The owner's text box (autosaved) and the check button."""
    if key not in st.session_state:
        st.session_state[key] = draft.text
    text = st.text_area(
        "Project narrative (saved as you go; certprep never rewrites it)",
        key=key,
        height=320,
        on_change=_autosave,
        args=(ctx, draft.id),
        max_chars=ctx.settings.max_upload_bytes,
    )
    if note := st.session_state.pop("saved-note", None):
        st.caption(note)
    if error := st.session_state.pop("draft-error", None):
        st.error(error)
    if st.button("Check this draft", type="primary", key=f"check-{draft.id}"):
        if text != draft.text:
            ctx.store.save_text(draft.id, text)
        _check(ctx, draft, text)


def _draft_panel(ctx: Context, draft: Draft) -> None:
    key = _text_key(draft.id)
    if not ctx.can_edit:  # a mentor or staff member reads the narrative; only its owner changes it
        st.markdown("**Project narrative** (read only: only the workspace's owner changes it)")
        with st.container(border=True, key=f"read-only-{draft.id}"):
            st.markdown(literal(draft.text) if draft.text.strip() else "*empty*")
    else:
        _editor(ctx, draft, key)
    versions = [v for v in ctx.store.versions(draft.id) if v.analysis]
    if not versions:
        st.info(
            "Not checked yet: write or paste the narrative, then press **Check this draft**."
            if ctx.can_edit
            else "Not checked yet: its owner has not run a check on this draft."
        )
        return
    latest = versions[-1]
    if latest.text != (st.session_state.get(key, draft.text) if ctx.can_edit else draft.text):
        st.warning(
            "The text has changed since the last check; press **Check this draft** to update the results."
            if ctx.can_edit
            else "The text has changed since its last check: the results below are for the checked version."
        )
    result = ProjectResult.model_validate(latest.analysis)
    for warning in result.warnings:
        st.info(warning)
    st.subheader(f"Standards in “{draft.title}” (version {latest.number}, {result.words} words)")
    comments = ctx.store.comments(draft.id)
    if draft.status is not DraftStatus.draft or comments:
        st.markdown(f"**Review status:** {draft.status.value} · {len(comments)} mentor comment(s)")
    for line in comment_lines([c for c in comments if c.standard_id is None]):
        st.info(line + " *(on the whole draft)*")
    reviews = draft_reviews(result, latest.number, ctx.store.verdicts(draft.id))
    if any(r.verdict for r in reviews.values()):
        st.caption("A reviewer's verdict is the one that counts; the engine's status stays beside it.")
    criteria = {c.id: c.text for s in ctx.kb.standards for c in s.criteria}
    standard_details(result, latest.text, key=str(draft.id), comments=comments, criteria=criteria, reviews=reviews)
    disagreements(reviews, result)
    _changes(ctx, draft, versions)


def page() -> None:
    ctx = sidebar()
    st.title("Narrative check")
    if note := st.session_state.pop("deleted-note", None):
        st.success(note)
    if not ctx.kb.standards:
        st.info(f"The {ctx.kb.program.short_name} does not use project narratives; see the Application page.")
        return
    st.caption(
        "For each project: which standards it really demonstrates, where the evidence is, and what a reviewer "
        "will look for. Naming a standard is not evidence; describe the work."
    )
    drafts = ctx.store.drafts(ctx.workspace.id)
    if ctx.can_edit:
        _upload(ctx, drafts)
    elif not drafts:
        st.info("No project in this workspace yet.")
        return
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    with left:
        chosen = _select_draft(ctx, drafts)
    if chosen == NEW:
        _new_project(ctx, drafts)
    else:
        draft = next(d for d in drafts if d.id == chosen)
        if ctx.can_edit:
            with right:
                _rename(ctx, draft)
        _draft_panel(ctx, draft)
    if not drafts:
        _my_data(ctx)
        return
    st.divider()
    st.subheader("All projects side by side")
    analysis = workspace_analysis(ctx.store, ctx.kb, ctx.workspace.id)
    heatmap(matrix_frame([(p.source, p) for p in analysis.projects]), key="matrix")
    requirements(analysis)
    gap_report_downloads(ctx, analysis, key="narrative-export")
    _my_data(ctx)


def _my_data(ctx: Context) -> None:
    """Export everything the workspace holds, or delete it for good: for its owner only."""
    if not ctx.store.can(Permission.delete, ctx.workspace):
        return
    with st.expander("Your data: export or delete this workspace, training consent"):
        allowed = ctx.store.training_allowed(ctx.workspace.id)
        choice = st.checkbox(
            "Let reviewers' verdicts on this workspace help train certprep's mapping engine (your text leaves "
            "this workspace only with names removed, under an id that does not identify you)",
            value=allowed,
            key="training-consent",
        )
        if choice != allowed:
            ctx.store.allow_training(ctx.workspace.id, choice)
            st.toast("Training consent saved." if choice else "Training consent withdrawn.")
        st.download_button(
            "Export everything (.zip: drafts, versions, analyses, comments, chat)",
            lambda: ctx.store.export(ctx.workspace.id),
            f"{safe_name(ctx.workspace.name).replace(' ', '_')}-export.zip",
            "application/zip",
            key="workspace-export",
        )
        st.warning(
            f"Deleting “{ctx.workspace.name}” removes its drafts, versions, analyses, comments and conversations "
            "from this server for good. Export first if you may need them."
        )
        confirm = st.text_input("Type the workspace's name to confirm", key="delete-confirm")
        if st.button("Delete this workspace", key="workspace-delete", disabled=confirm.strip() != ctx.workspace.name):
            ctx.store.delete_workspace(ctx.workspace.id)
            for key in ("active-ws", "opened-workspace", "delete-confirm"):
                st.session_state.pop(key, None)
            st.query_params.clear()
            st.session_state["deleted-note"] = f"Deleted “{ctx.workspace.name}”: its data is gone from this server."
            st.rerun()


page()
