"""certprep's web UI: navigation only. Each page is one file in ``app/ui/pages``; the core (``app.*``)
knows nothing of Streamlit."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui import resources

PAGES = Path(__file__).parent / "ui" / "pages"

st.set_page_config(page_title="certprep", page_icon="📋", layout="wide")
# The uploader's own hint names the web server's transfer cap, not certprep's limit (see
# Settings.upload_transfer_mb): show the real limit instead; each uploader's label lists its file types.
st.html(
    "<style>[data-testid='stFileUploaderDropzoneInstructions'] span{font-size:0}"
    "[data-testid='stFileUploaderDropzoneInstructions'] span::after{font-size:0.875rem;"
    f"content:'Up to {resources.settings().upload_limit_text} per file'}}</style>"
)

navigation = st.navigation(
    {
        "Candidate": [
            st.Page(PAGES / "chat.py", title="Ask", icon=":material/chat:", default=True),
            st.Page(PAGES / "narrative.py", title="Narrative check", icon=":material/edit_note:"),
            st.Page(PAGES / "application.py", title="Application", icon=":material/task_alt:"),
        ],
        "Mentor": [st.Page(PAGES / "mentor.py", title="Mentor review", icon=":material/rate_review:")],
        "Staff": [
            st.Page(PAGES / "screening.py", title="Batch screening", icon=":material/table_view:"),
            st.Page(PAGES / "knowledge.py", title="Knowledge browser", icon=":material/menu_book:"),
        ],
    }
)
navigation.run()
