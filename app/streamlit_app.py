"""certprep's web UI: navigation only. Each page is one file in ``app/ui/pages``; the core (``app.*``)
knows nothing of Streamlit. With accounts on, nobody sees a page before signing in, and each role's
menu lists only the pages it can use (each page and the store check again: a menu is not a lock)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.accounts import AccountRole
from app.storage import StorageUnavailable
from app.ui import auth, resources

PAGES = Path(__file__).parent / "ui" / "pages"

st.set_page_config(page_title="certprep", page_icon="📋", layout="wide")
# The uploader's own hint names the web server's transfer cap, not certprep's limit (see
# Settings.upload_transfer_mb): show the real limit instead; each uploader's label lists its file types.
st.html(
    "<style>[data-testid='stFileUploaderDropzoneInstructions'] span{font-size:0}"
    "[data-testid='stFileUploaderDropzoneInstructions'] span::after{font-size:0.875rem;"
    f"content:'Up to {resources.settings().upload_limit_text} per file'}}</style>"
)

ask = st.Page(PAGES / "chat.py", title="Ask", icon=":material/chat:", default=True)
narrative = st.Page(PAGES / "narrative.py", title="Narrative check", icon=":material/edit_note:")
application = st.Page(PAGES / "application.py", title="Application", icon=":material/task_alt:")
mentor = st.Page(PAGES / "mentor.py", title="Mentor review", icon=":material/rate_review:")
screening = st.Page(PAGES / "screening.py", title="Batch screening", icon=":material/table_view:")
agreement = st.Page(PAGES / "agreement.py", title="Reviewer agreement", icon=":material/balance:")
knowledge = st.Page(PAGES / "knowledge.py", title="Knowledge browser", icon=":material/menu_book:")
# an administrator's first page is the accounts page; the assistant is still there, at /chat
accounts = st.Page(PAGES / "accounts.py", title="Accounts and audit", icon=":material/manage_accounts:", default=True)
ask_admin = st.Page(PAGES / "chat.py", title="Ask", icon=":material/chat:")

everything = {
    "Candidate": [ask, narrative, application],
    "Mentor": [mentor],
    "Staff": [screening, agreement, knowledge],
}
by_role = {
    AccountRole.candidate: {"Candidate": [ask, narrative, application]},
    AccountRole.mentor: {"Candidate": [ask, narrative, application], "Mentor": [mentor], "Staff": [knowledge]},
    AccountRole.staff: everything,
    AccountRole.admin: {"Administration": [accounts], "Staff": [ask_admin, knowledge]},
}

try:
    menu = by_role[auth.require_sign_in().role] if auth.organization() else everything
    st.navigation(menu).run()
except StorageUnavailable as exc:  # a database server that went away: say so, on every page, in words
    st.error(f"{exc}. What was saved before is safe; reload the page in a moment.")
