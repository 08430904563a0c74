"""The application factory. ``create_app(settings)`` is what tests and ``certprep api`` serve;
``from_environment`` is the same for uvicorn's worker processes, which read the settings themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from app.api import errors, routes
from app.api.resources import Resources
from app.config import Settings, get_settings

DESCRIPTION = """certprep over HTTP: the answers, analyses and checks of the command line, as the JSON of its
`--json` option.

**Sign-in.** In organization mode every endpoint but `/health` and `/ready` needs
`Authorization: Bearer <token>`, a token from `POST /v1/token` (the account's username and password; the
web app's lockout rules apply). The account's role decides how answers are written; staff may ask as another
role. In personal mode there are no accounts and no token, and the server listens on this computer only.

**Errors** are `{"error": "one line"}` with a 4xx status (a 5xx when a part of the server is down)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    shared = Resources(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # made here, in the server's event loop, which they belong to
        app.state.analysis_slots = anyio.Semaphore(settings.api_analyze_concurrency)
        app.state.signin_slots = anyio.Semaphore(settings.api_signin_concurrency)
        shared.start()  # the model, index and analyzers load in the background from now on
        yield

    app = FastAPI(
        title="certprep",
        version="1",
        summary="Standards, evidence gaps and eligibility for professional certification applications.",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.resources = shared
    errors.install(app)
    app.add_middleware(errors.BodyLimit, max_bytes=settings.api_body_limit)
    app.add_middleware(errors.UnexpectedErrors)
    app.include_router(routes.service)
    app.include_router(routes.v1)
    return app


def from_environment() -> FastAPI:
    """For ``uvicorn --factory`` (one call per worker process): the settings of the environment."""
    return create_app(get_settings())
