"""The endpoints. Each one calls the function its command calls (`certprep ask`, `analyze`, `check`,
`recert`, `programs`) and returns that command's ``--json`` object. Blocking work runs in the threadpool
(plain ``def`` endpoints, or ``run_in_threadpool``); narrative analyses also wait for one of a few slots,
so that a burst of them cannot take every core from the questions.
"""

from __future__ import annotations

import datetime as dt
import email.message
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app.api.auth import CHALLENGE, CurrentPrincipal, answer_role, bearer, principal, resources
from app.api.errors import UNAVAILABLE, ApiError, one_line, validation_message
from app.api.models import (
    AnalyzeRequest,
    AskRequest,
    CheckRequest,
    ErrorBody,
    Health,
    Part,
    Readiness,
    RecertRequest,
    Token,
    TokenRequest,
)
from app.api.resources import Resources
from app.config import AccessMode
from app.knowledge import load_knowledge

Shared = Annotated[Resources, Depends(resources)]
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


def _media_type(request: Request) -> str:
    message = email.message.Message()
    message["content-type"] = request.headers.get("content-type", "")
    return message.get_content_type() if request.headers.get("content-type") else ""


def _is_json(media: str) -> bool:
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def json_only(request: Request) -> None:
    """415 before the body is looked at: a form or text sent to a JSON endpoint is a client mistake with a
    clearer message than a validation error."""
    if not _is_json(_media_type(request)):
        raise ApiError(415, "send the body as JSON (Content-Type: application/json)")


def _validated(model: type[Any], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        status, message = validation_message([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        raise ApiError(status, message) from None


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None


def _inline(model: type[Any]) -> dict[str, Any]:
    return model.model_json_schema()


JSON_AUTH = [Depends(principal), Depends(json_only)]
service = APIRouter(tags=["service"])
v1 = APIRouter(prefix="/v1")


# --- service -------------------------------------------------------------------------------------


@service.get("/health", summary="The process is up")
async def health() -> Health:
    return Health()


@service.get(
    "/ready",
    summary="Whether the knowledge base, the index, the database and the models are ready",
    responses={503: {"model": Readiness, "description": "Not ready; `parts` says which part and why."}},
)
def ready(shared: Shared) -> JSONResponse:
    parts = {
        "knowledge": _knowledge_part(shared),
        "index": _index_part(shared),
        "database": _database_part(shared),
    }
    parts["models"] = _models_part(shared, index_ready=parts["index"].ready)
    missing = [name for name, part in parts.items() if not part.ready]
    report = Readiness(
        ready=not missing,
        parts=parts,
        error="not ready: " + "; ".join(f"{name} ({parts[name].detail})" for name in missing) if missing else None,
    )
    return JSONResponse(report.model_dump(), status_code=503 if missing else 200)


def _knowledge_part(shared: Resources) -> Part:
    from app.knowledge import KnowledgeError

    try:
        programs = sorted(load_knowledge(shared.settings.knowledge_dir))
    except KnowledgeError as exc:
        return Part(ready=False, detail=one_line(f"invalid: {exc.problems[0] if exc.problems else exc}"))
    if not programs:
        return Part(ready=False, detail=f"no programs in {shared.settings.knowledge_dir}")
    return Part(ready=True, detail=f"{len(programs)} programs: {', '.join(programs)}")


def _index_part(shared: Resources) -> Part:
    from app.index.ingest import index_exists
    from app.index.store import StoreUnavailableError

    settings = shared.settings
    where = f"Chroma server at {settings.chroma_url}" if settings.chroma_mode == "server" else "embedded store"
    try:
        if shared.loaded:
            count = shared.assistant().retriever.collection.count()
            return Part(ready=count > 0, detail=f"{count} passages in the {where}")
        if index_exists(settings):
            return Part(ready=True, detail=f"the {where} holds the index")
        return Part(ready=False, detail=f"no index in the {where} yet (`certprep ingest` builds it)")
    except StoreUnavailableError as exc:
        return Part(ready=False, detail=one_line(str(exc)).removeprefix(UNAVAILABLE))
    except Exception as exc:  # a server that went away mid-call fails inside the client library
        return Part(ready=False, detail=one_line(f"cannot reach the {where} ({type(exc).__name__})"))


def _database_part(shared: Resources) -> Part:
    try:
        shared.accounts.count()
    except Exception as exc:
        return Part(ready=False, detail=one_line(str(exc)) or type(exc).__name__)
    return Part(ready=True, detail="reachable")


def _models_part(shared: Resources, index_ready: bool) -> Part:
    """Ready once the assistant and the narrative analyzers are loaded, so that no request waits for them."""
    from app import warmup

    state = warmup.state(shared.settings)
    if not shared.loaded and state.error and index_ready:
        try:  # the warm-up failed while the index was away; it is back, so load now (analyzers load on use)
            shared.assistant()
        except Exception as exc:
            return Part(ready=False, detail=one_line(f"{type(exc).__name__}: {exc}"))
    if shared.loaded and (state.analyzer_ready or state.error) and shared.primed.is_set():
        return Part(ready=True, detail="the embedding model, the index and the narrative analyzers are loaded")
    step = "answering a first question in each program" if state.analyzer_ready else state.step
    return Part(ready=False, detail=one_line(state.error or step))


# --- sign-in -------------------------------------------------------------------------------------


@v1.post(
    "/token",
    tags=["auth"],
    summary="Sign in: a bearer token for the other endpoints (organization mode)",
    response_model=Token,
    responses=_errors(400, 401, 413, 415, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _inline(TokenRequest)},
                "application/json": {"schema": _inline(TokenRequest)},
            },
        }
    },
)
async def token(request: Request, shared: Shared) -> JSONResponse:
    """The web app's sign-in rules apply: a wrong name and a wrong password get the same answer, repeated
    failures lock the account, and one address that fails too often must wait."""
    from app.accounts import SignInError
    from app.signin import THROTTLE

    settings = shared.settings
    if settings.mode is AccessMode.personal:
        raise ApiError(400, "accounts are off (personal mode): no token is needed")
    media = _media_type(request)
    if media in FORM_TYPES:
        form = await request.form()
        data: Any = {k: form[k] for k in ("username", "password") if isinstance(form.get(k), str)}
    elif _is_json(media):
        data = await _json(request)
    else:
        raise ApiError(415, "send username and password as a form or as JSON")
    credentials: TokenRequest = _validated(TokenRequest, data)
    address = request.client.host if request.client else "unknown"
    window = settings.signin_window_minutes * 60
    if THROTTLE.blocked(address, settings.signin_failures_per_address, window):
        wait = f"wait {settings.signin_window_minutes:g} minutes"
        raise ApiError(429, f"too many failed sign-ins from this address: {wait}")
    async with request.app.state.signin_slots:
        try:
            session = await run_in_threadpool(shared.accounts.sign_in, credentials.username, credentials.password)
        except SignInError as exc:
            THROTTLE.failed(address, window)
            raise ApiError(401, str(exc), CHALLENGE) from None
    body = Token(access_token=session, expires_in=int(settings.session_hours * 3600))
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})


@v1.delete(
    "/token", tags=["auth"], summary="Sign out: the token stops working", status_code=204, responses=_errors(400, 401)
)
def sign_out(shared: Shared, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Response:
    if shared.settings.mode is AccessMode.personal:
        raise ApiError(400, "accounts are off (personal mode): there is nothing to sign out of")
    if credentials is None:
        raise ApiError(401, "send the token to end: Authorization: Bearer <token>", CHALLENGE)
    shared.accounts.sign_out(credentials.credentials)
    return Response(status_code=204)


# --- certprep ------------------------------------------------------------------------------------


@v1.get("/programs", tags=["certprep"], summary="The programs and their standards", responses=_errors(401))
def programs(shared: Shared, _who: CurrentPrincipal) -> list[dict[str, Any]]:
    """`certprep programs --json`."""
    return [kb.summary() for kb in load_knowledge(shared.settings.knowledge_dir).values()]


@v1.post(
    "/ask",
    tags=["certprep"],
    summary="Answer a question with cited passages",
    dependencies=JSON_AUTH,
    responses=_errors(400, 401, 403, 413, 415, 422, 503),
)
def ask(body: AskRequest, shared: Shared, who: CurrentPrincipal) -> dict[str, Any]:
    """`certprep ask --json`: the same assistant, one turn per question."""
    settings = shared.settings
    role = answer_role(who, body.role)
    known = list(load_knowledge(settings.knowledge_dir))
    if body.program is not None and body.program not in known:
        raise ApiError(422, f"unknown program {body.program!r}; known programs: {', '.join(known)}")
    assistant = shared.assistant(body.top_k)
    session = assistant.new_session(body.program or settings.default_program, role)
    reply = assistant.respond(body.question, session)
    return reply.asked(body.question, body.program, settings.default_program)


@v1.post(
    "/analyze",
    tags=["certprep"],
    summary="Map project narratives to the program's standards",
    dependencies=JSON_AUTH,
    responses=_errors(400, 401, 413, 415, 422, 503),
)
async def analyze(body: AnalyzeRequest, request: Request, shared: Shared) -> dict[str, Any]:
    """`certprep analyze --json`: what each narrative demonstrates, where, and what is missing."""
    from app.documents import read_text_input
    from app.mapping.service import analyze_documents

    settings = shared.settings
    documents = []
    for narrative in body.narratives:
        if len(narrative.text.encode("utf-8")) > settings.max_upload_bytes:
            raise ApiError(413, f"{narrative.name}: the text is over the {settings.upload_limit_text} limit")
        documents.append(read_text_input(narrative.text, source=narrative.name))
    async with request.app.state.analysis_slots:
        analysis = await run_in_threadpool(analyze_documents, settings, body.program, documents)
    return analysis.public()


@v1.post(
    "/check",
    tags=["certprep"],
    summary="Review a whole application against its program's rules",
    dependencies=[Depends(principal)],
    responses=_errors(400, 401, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inline(CheckRequest)},
                "application/yaml": {
                    "schema": {
                        "type": "string",
                        "description": "An application file as `certprep check` reads it; the files it names "
                        "cannot come with it this way (send JSON with `files`).",
                    }
                },
            },
        }
    },
)
async def check(request: Request, shared: Shared) -> dict[str, Any]:
    """`certprep check --json`. The application comes as JSON (its fields, or its YAML text, with the texts
    of the files it names) or as a YAML file's text; nothing is written to disk."""
    from app.eligibility.application import parse_application, validate_application
    from app.eligibility.check import check_application_texts

    media = _media_type(request)
    if _is_json(media):
        sent: CheckRequest = _validated(CheckRequest, await _json(request))
        given, files = sent.application, sent.files
    elif media in YAML_TYPES:
        try:
            given, files = (await request.body()).decode("utf-8"), {}
        except UnicodeDecodeError:
            raise ApiError(400, "the application is not UTF-8 text") from None
    else:
        raise ApiError(415, "send the application as JSON (Content-Type: application/json) or YAML (application/yaml)")
    parse = parse_application if isinstance(given, str) else validate_application
    application = await run_in_threadpool(parse, given, "application")
    run = (check_application_texts, shared.settings, application, files)
    if application.projects:  # narratives to analyse: wait for a slot like any analysis
        async with request.app.state.analysis_slots:
            result = await run_in_threadpool(*run)
    else:
        result = await run_in_threadpool(*run)
    return result.public()


@v1.post(
    "/recert",
    tags=["certprep"],
    summary="Recertification: credits in the cycle, the ethics minimum and the filing deadline",
    dependencies=JSON_AUTH,
    responses=_errors(400, 401, 413, 415, 422),
)
def recert(body: RecertRequest, shared: Shared) -> dict[str, Any]:
    """`certprep recert --json`, with the credit log's CSV text in the body."""
    from app.eligibility.recert import check_recert, log_column, parse_credit_log, spec_of

    knowledge = load_knowledge(shared.settings.knowledge_dir)
    if body.program not in knowledge:
        raise ApiError(422, f"unknown program {body.program!r} (known: {', '.join(sorted(knowledge))})")
    kb = knowledge[body.program]
    rows = parse_credit_log(body.log.removeprefix("\ufeff"), log_column(kb), "log", spec_of(kb))
    return check_recert(kb, body.anniversary, rows, body.today or dt.date.today()).public()
