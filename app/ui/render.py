"""Pieces several pages draw. User text is always escaped: it shows literally, never as HTML or
Markdown, and never changes the page."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from app.mapping.models import Analysis, Basis, ProjectResult, Status
from app.reports.gap_report import GAP_ORDER, escape_markdown, gaps_first

# why a standard is only partial, when the engine knows (said next to the status, not only in the advice)
BASIS_LABEL = {
    Basis.planned: "planned, not reported as done",
    Basis.others: "someone else's work",
    Basis.thin: "some work described",
    Basis.named: "named, no work described",
}
STATUS_LABEL = {
    Status.demonstrated: "✔ demonstrated",
    Status.partial: "◐ partial",
    Status.missing: "✘ missing",
}
STATUS_COLOUR = {
    "✔ demonstrated": "background-color: #c8e6c9; color: #1b5e20",
    "◐ partial": "background-color: #fff3c4; color: #6d4c00",
    "✘ missing": "background-color: #ffcdd2; color: #b71c1c",
}
MARK_STYLE = "background:#ffb74d;color:#000;padding:0 2px;border-radius:3px;box-shadow:0 0 0 1px #e65100"


def literal(text: str) -> str:
    """Markdown that shows ``text`` exactly, line breaks kept."""
    return escape_markdown(text).replace("\n", "  \n")


def matrix_frame(projects: list[tuple[str, ProjectResult]]) -> pd.DataFrame:
    """Standards as rows (id and title), projects as columns, each cell the status in words (colour is
    only an aid). Ten standards fit down the page at any width; a few projects fit across it."""
    if not projects:
        return pd.DataFrame()
    rows = [f"{s.id} {s.title}" for s in projects[0][1].standards]
    ids = [s.id for s in projects[0][1].standards]
    data = {name: [STATUS_LABEL[p.status(i)] for i in ids] for name, p in projects}
    frame = pd.DataFrame(data, index=rows)
    frame.index.name = "standard"
    return frame


def heatmap(frame: pd.DataFrame, key: str) -> None:
    if frame.empty:
        st.info("No checked drafts yet.")
        return
    # a static table wraps its cells: at 1280 px every standard and every status stays readable, where
    # the scrolling grid cut off S8-S10 and truncated the cells
    styled = frame.style.map(lambda v: STATUS_COLOUR.get(v, ""))
    with st.container(key=key):
        st.table(styled)
    st.caption("✔ demonstrated · ◐ partial (named or thin) · ✘ missing")


def requirements(analysis: Analysis) -> None:
    for req in analysis.requirements:
        flag = " — *the rule itself is uncertain; check the current handbook*" if req.uncertain else ""
        name = escape_markdown(req.title or req.id)
        line = f"**{'Met' if req.met else 'Not met'}** · {name}: {literal(req.detail)}{flag}"
        (st.success if req.met else st.warning)(line)


def highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    """The narrative as HTML, every character escaped, the evidence spans marked in a strong colour (the
    theme's translucent backgrounds were too faint to find at a glance)."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark style="{MARK_STYLE}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    body = "".join(out)
    return f'<div class="certprep-narrative" style="white-space:pre-wrap;line-height:1.7">{body}</div>'


def comment_lines(comments: list) -> list[str]:
    return [f":material/comment: **{literal(c.author)}** ({c.created_at[:10]}): {literal(c.text)}" for c in comments]


def status_label(result) -> str:
    """The status, and why a partial one is partial when the engine says (planned, someone else's...)."""
    why = f" · {BASIS_LABEL[result.basis]}" if result.basis in BASIS_LABEL else ""
    return f"{STATUS_LABEL[result.status]}{why}"


def review_line(review) -> str:
    """The reviewer's verdict in words, for a page: who, what, whether it overrides the engine, why, and the
    evidence relied on; a verdict given on an earlier version says so."""
    v = review.verdict
    word = "overrides the engine" if v.overrides else "confirms the engine"
    line = f":material/verified: **Reviewer verdict ({literal(v.reviewer)}): {STATUS_LABEL[Status(v.status)]}**, {word}"
    if not review.current:
        line += f" *(from v{v.version}: given on an earlier version, not yet looked at again)*"
    if v.reason:
        line += f"  \n**Reason:** {literal(v.reason)}"
    if v.evidence:
        quotes = " · ".join(f"“{literal(q)}”" for q in v.evidence.splitlines())
        line += f"  \n**Evidence relied on:** {quotes}"
    return line


def disagreements(reviews: dict, project: ProjectResult) -> None:
    """Where the reviewer's word differs from the engine's on the version both judged."""
    rows = [
        {
            "standard": f"{s.id} {s.title}",
            "engine": STATUS_LABEL[Status(r.verdict.engine_status)],
            "reviewer": STATUS_LABEL[Status(r.verdict.status)],
            "version": f"v{r.verdict.version}" + ("" if r.current else " (earlier)"),
            "reason": r.verdict.reason,
        }
        for s in project.standards
        if (r := reviews.get(s.id)) is not None and r.disagrees
    ]
    if rows:
        st.subheader("Where the reviewer and the engine disagree")
        st.table(pd.DataFrame(rows).set_index("standard"))


def standard_details(
    project: ProjectResult,
    text: str | None,
    key: str,
    comments: list | None = None,
    criteria: dict[str, str] | None = None,
    reviews: dict | None = None,
) -> None:
    """Per standard: status (and the reviewer's verdict beside it: theirs is the one that counts), criteria
    met (in words: ``criteria`` maps a criterion id to its text), suggestion, evidence, the mentor's
    comments; the evidence highlighted in the text."""
    comments, criteria, reviews = comments or [], criteria or {}, reviews or {}

    def final(result) -> Status:
        review = reviews.get(result.id)
        return review.final if review is not None else result.status

    # gaps first by the status that counts: a standard the reviewer marked partial sits with the gaps
    ordered = sorted(gaps_first(project), key=lambda r: GAP_ORDER[final(r)])
    for result in ordered:
        about = [c for c in comments if c.standard_id == result.id]
        note = f" · {len(about)} comment{'s' if len(about) > 1 else ''}" if about else ""
        review = reviews.get(result.id)
        engine = f"{status_label(result)} ({result.confidence:.2f})"
        verdict = review is not None and review.verdict is not None
        if verdict and review.current:  # the reviewer's word first: it is the one that counts
            label = f"{result.id} {result.title} — {STATUS_LABEL[review.final]} (reviewer) · engine: {engine}{note}"
        elif verdict:
            stale = f"reviewer, from v{review.verdict.version}: {STATUS_LABEL[Status(review.verdict.status)]}"
            label = f"{result.id} {result.title} — {engine} · {stale}{note}"
        else:
            label = f"{result.id} {result.title} — {engine}{note}"
        with st.expander(label, expanded=bool(about) or bool(verdict)):
            if verdict:
                st.markdown(review_line(review))
            for line in comment_lines(about):
                st.info(line)
            if result.suggestion:
                st.markdown(f"**What a reviewer will look for:** {literal(result.suggestion)}")
            if result.criteria_met:
                st.markdown(
                    "**Criteria met:**\n"
                    + "\n".join(
                        f"- {literal(criteria.get(c, c))} *({escape_markdown(c)})*" for c in result.criteria_met
                    )
                )
            else:
                st.markdown("**Criteria met:** none yet")
            for ev in result.evidence:
                st.markdown(f"> {literal(ev.text)}  \n*strength {ev.strength:.2f} · characters {ev.start}–{ev.end}*")
    if text:
        options = [s.id for s in project.standards if s.evidence]
        if options:
            chosen = st.selectbox(
                "Highlight the evidence for",
                options,
                format_func=lambda i: next(f"{s.id} {s.title}" for s in project.standards if s.id == i),
                key=f"highlight-{key}",
            )
            result = next(s for s in project.standards if s.id == chosen)
            with st.container(border=True):
                st.html(highlighted(text, [(e.start, e.end) for e in result.evidence]))
