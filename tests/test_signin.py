"""The sign-in and sign-out routes over HTTP (Starlette's test client on the real routes and a real
database): a cookie only for the right password, locked accounts stay locked, no open redirect, and no
sign-in from a form this server did not hand out."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app import signin
from app.accounts import Principal
from app.config import get_settings

PASSWORD = "a-good-long-password"


@pytest.fixture
def client(organization_settings):
    signin._accounts.cache_clear()
    signin.THROTTLE._failures.clear()
    signin.accounts().add(Principal.operator(), "sam", "candidate", PASSWORD)
    with TestClient(Starlette(routes=signin.ROUTES), base_url="http://127.0.0.1") as test_client:
        yield test_client
    signin._accounts.cache_clear()


def _post(client, username, password, next_path="/"):
    form = client.get(signin.LOGIN_PATH)
    token = form.text.split('name="form_token" value="')[1].split('"')[0]
    return client.post(
        signin.LOGIN_PATH,
        data={"username": username, "password": password, "form_token": token, "next": next_path},
        follow_redirects=False,
    )


def test_the_right_password_gets_an_httponly_strict_session_cookie_that_names_the_user(client):
    response = _post(client, "sam", PASSWORD, "/mentor?ws=3")
    assert response.status_code == 303 and response.headers["location"] == "/mentor?ws=3"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(signin.SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    token = cookie.split("=", 1)[1].split(";")[0]
    assert signin.accounts().principal(token).username == "sam"
    assert PASSWORD not in response.text


def test_a_wrong_password_shows_the_form_again_with_one_message_and_no_cookie(client):
    response = _post(client, "sam", "wrong-password-123")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert not any(c.startswith(signin.SESSION_COOKIE) for c in response.headers.get_list("set-cookie"))
    assert 'value="sam"' in response.text and "wrong-password-123" not in response.text


def test_repeated_failures_lock_the_account_over_http_too(client):
    for _ in range(5):
        _post(client, "sam", "wrong-password-123")
    response = _post(client, "sam", PASSWORD)
    assert response.status_code == 401 and "locked until" in response.text


def test_no_redirect_off_this_server(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert _post(client, "sam", PASSWORD, target).headers["location"] == "/"


def test_a_form_not_handed_out_by_this_server_is_refused(client):
    client.cookies.clear()
    response = client.post(
        signin.LOGIN_PATH,
        data={"username": "sam", "password": PASSWORD, "form_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 400 and "form expired" in response.text


def test_signing_out_ends_the_session_on_the_server_only_from_certprep_s_own_link(client):
    response = _post(client, "sam", PASSWORD)
    token = response.cookies.get(signin.SESSION_COOKIE)
    client.cookies.set(signin.SESSION_COOKIE, token)
    forged = client.get(signin.LOGOUT_PATH, follow_redirects=False)  # e.g. an <img> on another site
    assert forged.headers["location"] == "/" and signin.accounts().principal(token).username == "sam"
    wrong = client.get(f"{signin.LOGOUT_PATH}?t={'0' * 32}", follow_redirects=False)
    assert wrong.headers["location"] == "/" and signin.accounts().principal(token) is not None
    out = client.get(f"{signin.LOGOUT_PATH}?t={signin.sign_out_token(token)}", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].endswith("note=signed-out")
    assert signin.accounts().principal(token) is None


def test_one_address_trying_many_accounts_is_made_to_wait(client, monkeypatch):
    monkeypatch.setenv("CERTPREP_SIGNIN_FAILURES_PER_ADDRESS", "3")
    get_settings.cache_clear()
    for name in ("ann", "ben", "cy"):  # one password tried on three accounts: no account is locked
        assert _post(client, name, "Summer2026!Summer").status_code == 401
    blocked = _post(client, "sam", PASSWORD)
    assert blocked.status_code == 429 and "from this address" in blocked.text
    assert not any(c.startswith(signin.SESSION_COOKIE) for c in blocked.headers.get_list("set-cookie"))
    signin.THROTTLE._failures.clear()  # the window has passed
    assert _post(client, "sam", PASSWORD).status_code == 303
