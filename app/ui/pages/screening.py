"""Staff: screen several application files at once into one table, with a CSV download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.eligibility.screening import SCREENING_HEADER, screen
from app.reports.gap_report import table_csv
from app.storage.access import may_screen
from app.ui.context import sidebar
from app.ui.render import literal


def page() -> None:
    ctx = sidebar()
    st.title("Batch screening")
    if not may_screen(ctx.principal):
        st.error("Batch screening is for the certifying body's staff; your account cannot use it.")
        return
    st.caption(
        "Upload application files (.yaml, as for `certprep check`) together with the hours logs and narratives "
        "they name. Each application becomes one row."
    )
    uploads = st.file_uploader(
        f"Applications and their files (up to {ctx.settings.upload_limit_text} each)",
        type=["yaml", "yml", "csv", "txt", "md", "docx", "pdf"],
        accept_multiple_files=True,
        key="screening-files",
    )
    if st.button("Screen", type="primary", disabled=not uploads, key="screen"):
        too_big = [u.name for u in uploads if u.size > ctx.settings.max_upload_bytes]
        for name in too_big:
            st.error(f"{name} is too large: the limit is {ctx.settings.upload_limit_text}; it was not screened")
        files = {u.name: u.getvalue() for u in uploads if u.name not in too_big}
        if not any(n.lower().endswith((".yaml", ".yml")) for n in files):
            st.error("No application file (.yaml) among the uploads.")
        else:
            with st.status(f"Screening {len(files)} file(s)…") as status:
                rows = screen(ctx.settings, files)
                status.update(label=f"Screened {len(rows)} application(s).", state="complete")
            st.session_state["screening-rows"] = [r.cells() for r in rows]
    rows = st.session_state.get("screening-rows")
    if rows:
        st.dataframe(pd.DataFrame(rows, columns=SCREENING_HEADER), hide_index=True, width="stretch", key="screening")
        eligible = sum(1 for r in rows if r[3] == "eligible")
        st.caption(f"{eligible} of {len(rows)} eligible on the rules checked. Uncertain rules are named per row.")
        # the table's cells are cut at the column width: each row in full, for reading and quoting
        for file, applicant, program, verdict, unmet, uncertain, problems in rows:
            with st.expander(f"{applicant or file} ({program or 'program unknown'}): {verdict}"):
                for label, text in (("Unmet", unmet), ("Uncertain rules", uncertain), ("Problems", problems)):
                    if text:
                        st.markdown(f"**{label}:** {literal(text)}")
        st.download_button("Download (.csv)", table_csv(SCREENING_HEADER, rows), "screening.csv", "text/csv")


page()
