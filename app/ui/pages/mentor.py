"""Mentor review: the candidate's draft with its check, the reviewer's verdict on each standard (confirm or
override the engine, with a reason and the evidence relied on), comments per standard, a review status, and
questions to ask about each gap."""

from __future__ import annotations

import streamlit as st

from app.mapping.coaching import coaching_questions
from app.mapping.models import ProjectResult, StandardResult, Status
from app.reports.gap_report import gaps_first
from app.reports.workspace import workspace_analysis
from app.reviews import StandardReview, draft_reviews
from app.storage import DraftStatus, StorageError
from app.ui import resources
from app.ui.context import Context, owner_labels, remember, sidebar
from app.ui.exports import gap_report_downloads
from app.ui.render import STATUS_LABEL, disagreements, literal, review_line, status_label


def _candidates_elsewhere(ctx: Context) -> None:
    """A mentor or staff member starts in a workspace of their own; the work to review is in others'."""
    me = ctx.store.principal.user_id
    others = [w for w in ctx.store.workspaces() if w.owner_id not in (None, me) and w.id != ctx.workspace.id]
    if me is None or not others:
        return
    labels = owner_labels(ctx.store, others)
    st.markdown("Workspaces you can review:")
    for workspace in others:
        if st.button(labels[workspace.id], key=f"review-ws-{workspace.id}", icon=":material/folder_open:"):
            remember("ws", str(workspace.id))
            st.rerun()


def page() -> None:
    ctx = sidebar()
    st.title("Mentor review")
    drafts = ctx.store.drafts(ctx.workspace.id)
    if not ctx.kb.standards or not drafts:
        st.info("No project drafts in this workspace yet: the candidate adds them on the Narrative check page.")
        _candidates_elsewhere(ctx)
        return
    ids = [d.id for d in drafts]
    draft_id = st.selectbox(
        "Draft", ids, format_func=lambda i: next(f"{d.title} ({d.status.value})" for d in drafts if d.id == i)
    )
    draft = ctx.store.draft(draft_id)
    statuses = [s.value for s in DraftStatus]
    status = st.segmented_control(
        "Review status",
        statuses,
        default=draft.status.value,
        key=f"status-{draft.id}",
        selection_mode="single",
        disabled=not ctx.can_review,
    )
    if ctx.can_review and status and status != draft.status.value:
        ctx.store.set_status(draft.id, status)
        st.toast(f"Status: {status}")
    versions = [v for v in ctx.store.versions(draft.id) if v.analysis]
    with st.expander("The draft as written", expanded=not versions):
        st.markdown(literal(draft.text) if draft.text.strip() else "*empty*")
    if not versions:
        st.info("This draft has not been checked yet.")
        return
    latest = versions[-1]
    result = ProjectResult.model_validate(latest.analysis)
    questions = coaching_questions(resources.analyzer(ctx.program), result)
    comments = ctx.store.comments(draft.id)
    reviews = draft_reviews(result, latest.number, ctx.store.verdicts(draft.id))
    if saved := st.session_state.pop("verdict-saved", None):
        st.success(saved)
    st.subheader(f"Standards, gaps first (version {latest.number})")
    if ctx.can_give_verdicts:
        st.caption(
            "For each standard, confirm the engine's status or override it: your verdict is the one that counts, "
            "and the candidate sees it beside the engine's."
        )
    for standard in gaps_first(result):
        review = reviews[standard.id]
        verdict = f" · your verdict: {STATUS_LABEL[review.final]}" if review.current else ""
        stale = f" · verdict from v{review.verdict.version}" if review.verdict and not review.current else ""
        with st.expander(f"{standard.id} {standard.title} — engine: {status_label(standard)}{verdict}{stale}"):
            if review.verdict:
                st.markdown(review_line(review))
            for ev in standard.evidence:
                st.markdown(f"> {literal(ev.text)}")
            if standard.id in questions:
                st.markdown("**Questions to ask**")
                st.markdown("\n".join(f"- {literal(q)}" for q in questions[standard.id]))
            for comment in (c for c in comments if c.standard_id == standard.id):
                st.markdown(f":material/comment: **{literal(comment.author)}**: {literal(comment.text)}")
            if ctx.can_give_verdicts:
                _verdict_form(ctx, draft.id, latest.number, standard, review)
    disagreements(reviews, result)
    if ctx.can_review:
        _comment_form(ctx, draft, result)
    general = [c for c in comments if c.standard_id is None]
    for comment in general:
        st.markdown(f":material/comment: **{literal(comment.author)}** (whole draft): {literal(comment.text)}")
    gap_report_downloads(ctx, workspace_analysis(ctx.store, ctx.kb, ctx.workspace.id), key="mentor-export")


def _verdict_form(ctx: Context, draft_id: int, version: int, standard: StandardResult, review: StandardReview) -> None:
    current = review.verdict if review.current else None
    options = [s.value for s in Status]
    with st.form(f"verdict-{draft_id}-{standard.id}", border=False):
        status = st.radio(
            "Your verdict",
            options,
            index=options.index(current.status if current else standard.status.value),
            format_func=lambda s: STATUS_LABEL[Status(s)] + (" (the engine's)" if s == standard.status.value else ""),
            horizontal=True,
            key=f"verdict-status-{draft_id}-{standard.id}",
        )
        reason = st.text_input(
            "Reason (needed when you override the engine)",
            value=current.reason if current else "",
            max_chars=2000,
            key=f"verdict-reason-{draft_id}-{standard.id}",
            placeholder="e.g. the pilot in paragraph 4 is enough: two rounds with real users",
        )
        evidence = st.text_area(
            "Evidence you rely on (optional: copy it from the draft, one passage per line)",
            value=(current.evidence or "") if current else "",
            max_chars=5000,
            height=68,
            key=f"verdict-evidence-{draft_id}-{standard.id}",
        )
        if st.form_submit_button("Save verdict", key=f"verdict-save-{draft_id}-{standard.id}"):
            try:
                ctx.store.set_verdict(draft_id, version, standard.id, status, reason, evidence)
            except StorageError as exc:
                st.error(str(exc))
            else:
                word = "confirmed" if status == standard.status.value else f"overridden: {status}"
                st.session_state["verdict-saved"] = f"{standard.id} {word}; the candidate sees your verdict."
                st.rerun()


def _comment_form(ctx, draft, result: ProjectResult) -> None:
    st.subheader("Add a comment")
    st.caption("The candidate sees your comments on their Narrative check page, beside the standard.")
    personal = ctx.principal.personal
    if personal:  # with accounts, the comment is signed by the account: no name to type
        if "mentor-name" not in st.session_state:
            st.session_state["mentor-name"] = ctx.store.get_setting(ctx.workspace.id, "mentor-name", "")
        author = st.text_input("Your name", key="mentor-name", placeholder="e.g. Alex Kim")
    else:
        author = ctx.principal.display_name
    with st.form("comment", clear_on_submit=True):
        options = [None, *[s.id for s in result.standards]]
        titles = {s.id: f"{s.id} {s.title}" for s in result.standards}
        standard_id = st.selectbox(
            "About",
            options,
            format_func=lambda s: "the draft as a whole" if s is None else titles[s],
            key="comment-standard",
        )
        text = st.text_area("Comment", key="comment-text", max_chars=5000)
        if st.form_submit_button("Add comment", key="comment-add"):
            try:
                ctx.store.add_comment(draft.id, author or "Mentor", text, standard_id)
            except StorageError as exc:
                st.error(str(exc))
            else:
                if personal:
                    ctx.store.set_setting(ctx.workspace.id, "mentor-name", author)
                about = "the draft as a whole" if standard_id is None else titles[standard_id]
                st.session_state["comment-added"] = f"Comment added on {about}; the candidate will see it."
                st.rerun()
    if added := st.session_state.pop("comment-added", None):
        st.success(added)


page()
