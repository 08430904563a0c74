"""Every error the API returns is ``{"error": "one line"}`` with a 4xx or 5xx status: the core's user errors
with their own message, FastAPI's validation errors folded into one line, and anything unexpected as a
500 that is logged without the request (narratives and questions never reach the log).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("app.api")

UNAVAILABLE = "the knowledge index is unavailable: "


class ApiError(Exception):
    """An answer other than success, decided by the API itself (auth, limits, content types)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_response(
    status: int, message: str, problems: Iterable[str] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": one_line(message)}
    problems = [one_line(p) for p in problems or []]
    if len(problems) > 1:
        body["problems"] = problems
    return JSONResponse(body, status_code=status, headers=headers)


def _location(loc: Iterable[Any]) -> str:
    """``body.narratives.0.text`` -> ``narratives[0].text``: the field as the client wrote it."""
    out = ""
    for part in loc:
        if part in ("body", "query", "path", "header") and not out:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def validation_message(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """Status and one line for a list of pydantic errors: 400 for a body that is not JSON at all."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the body is not valid JSON"
    parts = []
    for error in errors:
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
            parts.append("the body is empty: send a JSON object")
        else:
            parts.append(f"{_location(error.get('loc', ()))}: {message}")
    return 422, "; ".join(dict.fromkeys(parts))


def _problems(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        problems = [str(p) for p in getattr(exc, "problems", None) or [str(exc)]]
        return error_response(status, "; ".join(problems), problems)

    return handler


def _message(status: int, prefix: str = "") -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        message = str(exc)
        return error_response(status, message if message.startswith(prefix) else prefix + message)

    return handler


def install(app: FastAPI) -> None:
    """Register the handlers; the core's exception types are imported here, once."""
    from app.documents import DocumentError
    from app.eligibility.application import ApplicationError
    from app.eligibility.hours_log import HoursLogError
    from app.eligibility.recert import RecertError
    from app.embeddings import ModelNotFoundError
    from app.index.store import IndexMismatchError, StoreUnavailableError
    from app.inference.artifacts import InferenceError
    from app.knowledge import KnowledgeError
    from app.mapping.analyzer import AnalysisError
    from app.mapping.classifier import ModelMissingError
    from app.storage import AccessDenied, StorageUnavailable
    from app.templates import TemplateError

    async def api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, headers=exc.headers)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        status, message = validation_message(list(exc.errors()))
        return error_response(status, message)

    async def knowledge(_request: Request, exc: Exception) -> JSONResponse:
        problems = [str(p) for p in getattr(exc, "problems", [])]
        return error_response(503, "the knowledge base is invalid: " + "; ".join(problems), problems)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)  # FastAPI's own derive from it
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(KnowledgeError, knowledge)
    for user_error in (ApplicationError, HoursLogError):
        app.add_exception_handler(user_error, _problems(422))
    for user_error in (DocumentError, AnalysisError, RecertError):
        app.add_exception_handler(user_error, _message(422))
    app.add_exception_handler(AccessDenied, _message(403))
    app.add_exception_handler(StoreUnavailableError, _message(503, UNAVAILABLE))
    for server_error in (IndexMismatchError, ModelNotFoundError, InferenceError, ModelMissingError, TemplateError):
        app.add_exception_handler(server_error, _message(503))
    app.add_exception_handler(StorageUnavailable, _message(503))


class UnexpectedErrors:
    """The last line: an exception no handler knew becomes a 500 with one line, logged with its traceback
    but not its message, which could quote a user's text."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("%s %s failed with %s\n%s", scope.get("method"), scope.get("path"), type(exc).__name__, frames)
            if started:
                raise
            response = error_response(500, f"internal error ({type(exc).__name__}); the server log has the details")
            await response(scope, receive, send)


class BodyLimit:
    """413 for a body over the limit: at once when Content-Length says so, else as soon as the bytes read
    pass it (a chunked upload), before the whole of it is held in memory."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"the request body is over the {self.max_bytes:,} byte limit"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await error_response(400, "Content-Length is not a number")(scope, receive, send)
                return
            if declared > self.max_bytes:
                await error_response(413, self._too_large())(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # FastAPI passes an HTTPException raised here on to its handler
                    raise HTTPException(413, self._too_large())
            return message

        await self.app(scope, receive, send) if length is not None else await self.app(scope, counted, send)
