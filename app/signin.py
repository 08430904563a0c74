"""The sign-in and sign-out pages of organization mode: plain HTTP routes served beside Streamlit's pages.

Why not a Streamlit form: a Streamlit script cannot set a cookie, and without one every reload would ask
for the password again. The form posts here, the session token goes into an HttpOnly, SameSite=Strict
cookie, and each Streamlit page reads it (``st.context.cookies``) and asks ``Accounts`` who it belongs to.
A second cookie carries a one-time form token against cross-site sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import threading
import time
from collections import defaultdict, deque
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.accounts import Accounts, SignInError
from app.config import AccessMode, get_settings
from app.storage import Storage

SESSION_COOKIE = "certprep_session"
FORM_COOKIE = "certprep_form"
LOGIN_PATH = "/account/login"
LOGOUT_PATH = "/account/logout"


@lru_cache(maxsize=4)
def _accounts(database: str) -> Accounts:
    return Accounts(Storage(database), get_settings())


def accounts() -> Accounts:
    return _accounts(get_settings().database)


class _AddressThrottle:
    """Failed sign-ins per client address in a sliding window, in this process: the account lockout stops
    guessing one account's password, this stops trying one password across many accounts. Behind a
    reverse proxy every user shares the proxy's address, so the default limit is generous."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, address: str, window: float, now: float) -> deque[float]:
        failures = self._failures[address]
        while failures and failures[0] <= now - window:
            failures.popleft()
        return failures

    def blocked(self, address: str, limit: int, window: float) -> bool:
        with self._lock:
            return len(self._recent(address, window, time.monotonic())) >= limit

    def failed(self, address: str, window: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(address, window, now).append(now)


THROTTLE = _AddressThrottle()


def sign_out_token(session_token: str) -> str:
    """What a sign-out link must carry: derived from the session, so another site cannot sign a user out."""
    return hashlib.sha256(f"certprep-sign-out:{session_token}".encode()).hexdigest()[:32]


def _safe_next(value: str | None) -> str:
    """Only a path on this server: never an absolute or protocol-relative address (an open redirect)."""
    value = value or "/"
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · certprep</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;color:#1f2328;margin:0}}
main{{max-width:380px;margin:12vh auto;background:#fff;border:1px solid #d8dde3;border-radius:10px;padding:28px 32px}}
h1{{font-size:1.4rem;margin:0 0 4px}} p{{margin:0 0 18px;color:#57606a}}
label{{display:block;font-weight:600;margin:14px 0 6px}}
input[type=text],input[type=password]{{width:100%;box-sizing:border-box;padding:9px 10px;border:1px solid #c5ccd3;
border-radius:6px;font-size:1rem}}
button{{margin-top:20px;width:100%;padding:10px;border:0;border-radius:6px;background:#ff4b4b;color:#fff;
font-size:1rem;font-weight:600;cursor:pointer}}
.msg{{padding:10px 12px;border-radius:6px;margin-bottom:8px}} .err{{background:#fdecea;color:#8a1c1c}}
.info{{background:#e8f1fb;color:#0b4a8b}} small{{display:block;margin-top:18px;color:#57606a}}
</style></head><body><main>
<h1>certprep</h1><p>Sign in to your organization's certprep.</p>{message}
<form method="post" action="{action}">
<input type="hidden" name="form_token" value="{form_token}"><input type="hidden" name="next" value="{next}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" value="{username}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<small>Forgotten password or locked out? Ask your certprep administrator.</small>
</main></body></html>"""


def _form(request: Request, message: str = "", kind: str = "err", username: str = "", status: int = 200) -> Response:
    form_token = secrets.token_urlsafe(24)
    message = message[:1].upper() + message[1:]
    body = _PAGE.format(
        message=f'<div class="msg {kind}" role="alert">{html.escape(message)}</div>' if message else "",
        action=LOGIN_PATH,
        form_token=form_token,
        next=html.escape(_safe_next(request.query_params.get("next"))),
        username=html.escape(username),
    )
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    response.set_cookie(FORM_COOKIE, form_token, httponly=True, samesite="strict", path=LOGIN_PATH)
    return response


async def login(request: Request) -> Response:
    settings = get_settings()
    if settings.mode is not AccessMode.organization:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        notes = {"signed-out": "You are signed out.", "expired": "Your session has ended: sign in again."}
        note = notes.get(request.query_params.get("note", ""), "")
        return _form(request, note, kind="info")
    form = await request.form()
    username = str(form.get("username") or "")[:64]
    if not form.get("form_token") or form.get("form_token") != request.cookies.get(FORM_COOKIE):
        return _form(request, "The sign-in form expired: please try again.", username=username, status=400)
    address = request.client.host if request.client else "unknown"
    window = settings.signin_window_minutes * 60
    if THROTTLE.blocked(address, settings.signin_failures_per_address, window):
        message = f"Too many failed sign-ins from this address: wait {settings.signin_window_minutes:g} minutes."
        return _form(request, message, username=username, status=429)
    try:
        token = await run_in_threadpool(accounts().sign_in, username, str(form.get("password") or "")[:2048])
    except SignInError as exc:
        THROTTLE.failed(address, window)
        return _form(request, str(exc), username=username, status=401)
    response = RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(FORM_COOKIE, path=LOGIN_PATH)
    return response


async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not hmac.compare_digest(request.query_params.get("t", ""), sign_out_token(token)):
        return RedirectResponse("/", status_code=303)  # not a link certprep made for this session
    await run_in_threadpool(accounts().sign_out, token)
    response = RedirectResponse(f"{LOGIN_PATH}?note=signed-out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ROUTES = [Route(LOGIN_PATH, login, methods=["GET", "POST"]), Route(LOGOUT_PATH, logout, methods=["GET"])]
