"""Download buttons for the gap report (Markdown, DOCX, PDF) and the coverage matrix (CSV). The files are
built when a button is pressed, not on every rerun of the page."""

from __future__ import annotations

import streamlit as st

from app.mapping.models import Analysis
from app.reports.gap_report import coverage_csv, report_blocks, to_docx, to_markdown, to_pdf
from app.reports.workspace import workspace_comments, workspace_reviews
from app.storage.uploads import safe_name
from app.ui.context import Context


def gap_report_downloads(ctx: Context, analysis: Analysis, key: str) -> None:
    """``analysis``: the workspace's analysis (``reports.workspace.workspace_analysis``), computed once by the page."""
    if not analysis.projects:
        return

    def blocks():
        return report_blocks(
            analysis,
            title=f"Gap report: {ctx.workspace.name} ({ctx.kb.program.short_name})",
            comments=workspace_comments(ctx.store, ctx.workspace.id),
            reviews=workspace_reviews(ctx.store, ctx.workspace.id),
        )

    stem = safe_name(f"{ctx.workspace.name}-gap-report").replace(" ", "_")
    cols = st.columns(4)
    cols[0].download_button(
        "Gap report (.md)", lambda: to_markdown(blocks()), f"{stem}.md", "text/markdown", key=f"{key}-md"
    )
    cols[1].download_button(
        "Gap report (.docx)",
        lambda: to_docx(blocks()),
        f"{stem}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key=f"{key}-docx",
    )
    cols[2].download_button(
        "Gap report (.pdf)", lambda: to_pdf(blocks()), f"{stem}.pdf", "application/pdf", key=f"{key}-pdf"
    )
    cols[3].download_button(
        "Coverage matrix (.csv)",
        lambda: coverage_csv(analysis, workspace_reviews(ctx.store, ctx.workspace.id)),
        f"{stem}-matrix.csv",
        "text/csv",
        key=f"{key}-csv",
    )
