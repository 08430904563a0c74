"""Who is using the page. Personal mode: the one local user. Organization mode: the account behind the
session cookie set by ``/account/login`` (or single sign-on through ``st.login``), checked against the
database on every run, so an expired session or a disabled account stops at the next click.

A test can sign in by putting a session token in ``st.session_state[TOKEN_KEY]``: only server code can
write session state, so this gives a browser nothing it could forge.
"""

from __future__ import annotations

import streamlit as st

from app.accounts import Accounts, Principal, SignInError
from app.config import AccessMode
from app.signin import LOGIN_PATH, LOGOUT_PATH, SESSION_COOKIE, sign_out_token
from app.ui import resources

TOKEN_KEY = "certprep-token"


def accounts() -> Accounts:
    return Accounts(resources.storage(), resources.settings())


def organization() -> bool:
    return resources.settings().mode is AccessMode.organization


def _sso_principal(service: Accounts) -> Principal | None:
    settings = resources.settings()
    if not settings.sso_provider or not st.user.is_logged_in:
        return None
    claims = st.user.to_dict()
    first = st.session_state.get("sso-subject") != claims.get("sub")
    try:
        principal = service.principal_for_identity(claims, record=first)
    except SignInError as exc:
        st.session_state["sign-in-problem"] = str(exc)
        return None
    st.session_state["sso-subject"] = claims.get("sub")
    return principal


def current() -> Principal | None:
    """The signed-in principal in organization mode; None when nobody is (or the session has ended)."""
    service = accounts()
    token = _token()
    principal = service.principal(token)
    if principal is None and token:
        st.session_state["sign-in-problem"] = "Your session has ended (expired, signed out or account disabled)."
    return principal or _sso_principal(service)


def _link(label: str, href: str) -> None:
    # target=_self: a sign-in or sign-out replaces this page rather than opening a tab
    st.markdown(f'<a href="{href}" target="_self">{label}</a>', unsafe_allow_html=True)


def require_sign_in() -> Principal:
    """The principal, or the sign-in prompt and a stop: no page shows anything to a visitor."""
    principal = current()
    if principal is not None:
        return principal
    st.title("certprep")
    problem = st.session_state.pop("sign-in-problem", None)
    if problem:
        st.warning(problem)
    st.write("This certprep is shared by an organization: sign in to see your workspaces.")
    _link("**Sign in with a username and password →**", LOGIN_PATH)
    settings = resources.settings()
    if settings.sso_provider:
        if st.user.is_logged_in:
            st.button("Sign out of single sign-on", on_click=st.logout)
        else:
            st.button("Sign in with single sign-on", on_click=st.login, args=(settings.sso_provider,), type="primary")
    st.stop()
    raise AssertionError("unreachable")  # st.stop ends the run


def _token() -> str | None:
    token = st.session_state.get(TOKEN_KEY) or st.context.cookies.get(SESSION_COOKIE)
    return token if isinstance(token, str) else None  # no cookie jar outside a browser (AppTest)


def sign_out_link() -> None:
    token = _token()
    if token:
        _link("Sign out", f"{LOGOUT_PATH}?t={sign_out_token(token)}")
    elif resources.settings().sso_provider and st.user.is_logged_in:
        st.button("Sign out", on_click=st.logout, key="sign-out")
