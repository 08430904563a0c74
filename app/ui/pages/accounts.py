"""Administrators: accounts, mentor assignments and the audit log. Every action goes through ``Accounts``,
which refuses anyone who is not an administrator, whatever this page shows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.accounts import AccountError, AccountRole, AuditLog
from app.storage import StorageError
from app.ui import auth, resources


def _accounts_table(accounts) -> None:
    rows = [
        {
            "username": a.username,
            "name": a.display_name,
            "role": a.role.value,
            "status": "disabled" if a.disabled else ("locked" if a.locked_until else "active"),
            "sign-in": ("password" if a.has_password else "") + (" + SSO" if a.sso else ""),
            "last sign-in": (a.last_sign_in or "")[:16].replace("T", " "),
            "mentors / candidates": ", ".join(a.mentors or a.candidates),
        }
        for a in accounts
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="accounts-table")


def _add(service, principal) -> None:
    with st.form("add-account", clear_on_submit=True):
        st.markdown("**Add an account**")
        c1, c2 = st.columns(2)
        username = c1.text_input("Username", key="add-username")
        name = c2.text_input("Full name", key="add-name")
        role = c1.selectbox("Role", [r.value for r in AccountRole], key="add-role")
        email = c2.text_input("E-mail (optional; matches single sign-on)", key="add-email")
        password = st.text_input(
            f"Initial password (at least {resources.settings().min_password_length} characters; leave empty for "
            "single sign-on only)",
            type="password",
            key="add-password",
        )
        if st.form_submit_button("Add account"):
            try:
                service.add(principal, username, role, password or None, name, email)
            except StorageError as exc:
                st.error(str(exc))
            else:
                st.session_state["accounts-note"] = f"Account {username} ({role}) added."
                st.rerun()


def _change(service, principal, accounts) -> None:
    st.markdown("**Change an account**")
    names = [a.username for a in accounts]
    chosen = st.selectbox("Account", names, key="change-account")
    account = next(a for a in accounts if a.username == chosen)
    c1, c2 = st.columns(2)
    with c1:
        label = "Enable" if account.disabled else "Disable"
        if st.button(f"{label} {account.username}", key="toggle-account"):
            _apply(lambda: service.set_disabled(principal, account.username, not account.disabled), f"{label}d.")
        password = st.text_input("New password", type="password", key="reset-password")
        if st.button("Reset password (ends their sessions, unlocks)", key="reset-account"):
            _apply(lambda: service.reset_password(principal, account.username, password), "Password reset.")
    with c2:
        mentors = [a.username for a in accounts if a.role is AccountRole.mentor and not a.disabled]
        candidates = [a.username for a in accounts if a.role is AccountRole.candidate]
        mentor = st.selectbox("Mentor", mentors, key="assign-mentor")
        candidate = st.selectbox("Candidate", candidates, key="assign-candidate")
        b1, b2 = st.columns(2)
        if b1.button("Assign", key="assign", disabled=not (mentor and candidate)):
            _apply(lambda: service.assign(principal, mentor, candidate), f"{mentor} now mentors {candidate}.")
        if b2.button("Unassign", key="unassign", disabled=not (mentor and candidate)):
            _apply(lambda: service.assign(principal, mentor, candidate, False), f"{mentor} no longer sees {candidate}.")


def _apply(action, note: str) -> None:
    try:
        action()
    except (AccountError, StorageError) as exc:
        st.error(str(exc))
    else:
        st.session_state["accounts-note"] = note
        st.rerun()


def _audit(log: AuditLog) -> None:
    st.subheader("Audit log")
    st.caption("Who signed in, opened, changed, exported or deleted which workspace. It never holds narrative text.")
    entries = log.entries(limit=500)
    frame = pd.DataFrame([e.model_dump(exclude={"id"}) for e in entries])
    st.dataframe(frame, hide_index=True, width="stretch", key="audit-table")
    st.download_button("Download the whole log (.csv)", log.csv, "certprep-audit.csv", "text/csv", key="audit-csv")


def page() -> None:
    principal = auth.require_sign_in() if auth.organization() else None
    st.title("Accounts and audit")
    if principal is None:
        st.info("Accounts are off: this certprep runs in personal mode (one user, no sign-in). See the README.")
        return
    with st.sidebar:
        st.markdown(f"**{principal.display_name}** · {principal.role.value}")
        auth.sign_out_link()
    service = auth.accounts()
    try:
        accounts = service.list(principal)
    except StorageError as exc:
        st.error(f"{exc}.")
        return
    if note := st.session_state.pop("accounts-note", None):
        st.success(note)
    _accounts_table(accounts)
    _add(service, principal)
    _change(service, principal, accounts)
    _audit(service.audit)


page()
