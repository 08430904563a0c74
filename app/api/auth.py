"""Bearer tokens bound to the accounts: ``POST /v1/token`` signs in (the web app's sessions, lockout and
per-address throttle), and every other endpoint but health and readiness asks ``Accounts`` whose token it
is, on every request, so that a disabled account or an ended session stops working at once.

Personal mode has no accounts: there is one local user, no token is needed, and `certprep api` serves only
this computer there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts import AccountRole, Principal
from app.api.errors import ApiError
from app.api.resources import Resources
from app.chat.models import Role
from app.config import AccessMode

bearer = HTTPBearer(auto_error=False, description="A token from POST /v1/token (organization mode).")
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def shared(request: Request) -> Resources:
    return request.app.state.resources


async def resources(request: Request) -> Resources:
    """A dependency; ``async`` because it does not block (plain ``def`` dependencies cost a thread hop)."""
    return shared(request)


def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """Whoever the request is made for; 401 without a valid token in organization mode."""
    server = shared(request)
    if server.settings.mode is AccessMode.personal:
        return Principal.local()
    if credentials is None:
        raise ApiError(401, "sign in first: POST /v1/token, then send Authorization: Bearer <token>", CHALLENGE)
    found = server.accounts.principal(credentials.credentials)
    if found is None:
        raise ApiError(401, "the token is not valid (unknown, expired or signed out): sign in again", CHALLENGE)
    return found


CurrentPrincipal = Annotated[Principal, Depends(principal)]

PREVIEWERS = {AccountRole.staff, AccountRole.admin}


def answer_role(who: Principal, requested: Role | None) -> Role:
    """The role an answer is written for. Personal mode: the one asked for. Organization mode: the
    account's; staff (and administrators, who answer as staff) may preview another role, as in the web app."""
    if who.personal:
        return requested or Role.candidate
    own = who.role.answer_style
    if requested is None or requested is own or who.role in PREVIEWERS:
        return requested or own
    raise ApiError(403, f"your account answers as {own.value}; only staff may ask as another role")
