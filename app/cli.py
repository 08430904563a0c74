"""The ``certprep`` command line. Heavy imports (torch, chromadb, streamlit) happen inside commands so
that ``certprep --help`` stays fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="certprep",
    help="Prepare professional certification applications: standards, evidence gaps and eligibility.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
knowledge_app = typer.Typer(help="Inspect and validate the knowledge base.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
from app.cli_accounts import audit_cmd, users_app, workspaces_app  # noqa: E402  (light: typer only)

app.add_typer(users_app, name="users")
app.add_typer(workspaces_app, name="workspaces")
app.command("audit")(audit_cmd)
from app.cli_reviews import reviews_app  # noqa: E402  (light: typer only)

app.add_typer(reviews_app, name="reviews")

_state = {"debug": False}


class UserError(Exception):
    """A problem the user can fix: printed as one line, exit code 2, no traceback."""


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _settings():
    from pydantic import ValidationError

    from app.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        lines = [f"CERTPREP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        _fail("invalid configuration: " + "; ".join(lines))


@knowledge_app.command("validate")
def knowledge_validate(
    path: Annotated[Path | None, typer.Argument(help="Knowledge folder (default: the configured one).")] = None,
) -> None:
    """Check every file of the knowledge base; list each problem with file, line and path."""
    from app.knowledge import validate_tree

    root = path or _settings().knowledge_dir
    problems = validate_tree(root)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {root}", err=True)
        raise typer.Exit(1)
    typer.echo(f"knowledge base OK: {root}")


@app.command("programs")
def programs(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the programs and their standards."""
    from app.knowledge import KnowledgeError, load_knowledge

    try:
        kbs = load_knowledge(_settings().knowledge_dir)
    except KnowledgeError as exc:
        _fail(f"the knowledge base is invalid; run `certprep knowledge validate`:\n{exc}")
    data = [kb.summary() for kb in kbs.values()]
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for program in data:
        typer.echo(f"{program['id']}: {program['name']} ({program['body']})")
        for standard in program["standards"]:
            typer.echo(f"  {standard['id']:>4}  {standard['title']}")


@app.command("ingest")
def ingest_cmd(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and embed everything again.")] = False,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when an index already exists.")] = False,
) -> None:
    """Index the knowledge base (incremental: only new or changed entries are embedded)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.index.ingest import index_exists, ingest

    settings = _settings()
    with _user_errors():
        if if_missing and not rebuild and index_exists(settings):
            typer.echo("index present; nothing to do (use `certprep ingest` to refresh it)")
            return
        with Progress(
            TextColumn("embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("embed", total=None)
            report = ingest(
                settings,
                rebuild=rebuild,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        typer.echo(report.summary())
        from app.mapping.service import prepare_models

        programs = prepare_models(settings)
        if settings.inference_runtime != "torch":
            typer.echo(
                f"models ready for ONNX Runtime ({settings.inference_runtime}) in {settings.onnx_cache_dir}: "
                f"the embedding model and the sentence models of {', '.join(programs) or 'no program'}"
            )


def _program_ids(settings) -> list[str]:
    from app.knowledge import load_knowledge

    return list(load_knowledge(settings.knowledge_dir))


@app.command("ask")
def ask_cmd(
    question: Annotated[str | None, typer.Argument(help="The question (omit with --batch).")] = None,
    program: Annotated[str | None, typer.Option("--program", "-p", help="Program id, e.g. cpt or cpo.")] = None,
    role: Annotated[str, typer.Option("--role", "-r", help="candidate, mentor or staff.")] = "candidate",
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="A file with one question per line; JSON Lines out.")
    ] = None,
    k: Annotated[int, typer.Option("--top", "-k", min=1, max=20, help="Passages to retrieve.")] = 5,
) -> None:
    """Answer a question with cited passages (the same assistant as `certprep chat`, one turn per question)."""
    from app.chat.assistant import Assistant
    from app.chat.models import Role

    settings = _settings()
    with _user_errors():
        known = _program_ids(settings)
        if program is not None and program not in known:
            raise UserError(f"unknown program {program!r}; known programs: {', '.join(known)}")
        if role not in Role.__members__:
            raise UserError(f"unknown role {role!r}; use candidate, mentor or staff")
        if batch is None:
            if not question or not question.strip():
                raise UserError("give a question, or --batch FILE")
            questions = [question.strip()]
        else:
            if question:
                raise UserError("give either a question or --batch FILE, not both")
            questions = _read_questions(batch)
        assistant = Assistant(settings, top_k=k)
        _index_notices(assistant)
        for q in questions:
            session = assistant.new_session(program or settings.default_program, role)
            reply = assistant.respond(q, session)
            if batch is not None or as_json:
                data = reply.asked(q, program, settings.default_program)
                typer.echo(json.dumps(data, ensure_ascii=False, indent=None if batch else 2))
                continue
            _print_reply(reply)


def _index_notices(assistant) -> None:
    for notice in assistant.retriever.notices:
        typer.echo(f"note: {notice}", err=True)


def _print_reply(reply) -> None:
    typer.echo(reply.text)
    for n, c in enumerate(reply.citations, 1):
        flag = " (uncertain)" if c.confidence == "uncertain" else ""
        typer.echo(f"  [{n}] {c.title}: {c.kind}, source {c.source}{flag}, score {c.score:.2f}")
    for notice in reply.notices:
        typer.echo(f"note: {notice}", err=True)


@app.command("chat")
def chat_cmd(
    program: Annotated[str, typer.Option("--program", "-p", help="Program to start with.")] = "cpt",
    role: Annotated[str, typer.Option("--role", "-r", help="candidate, mentor or staff.")] = "candidate",
) -> None:
    """A conversation in the terminal. /file PATH checks a narrative, /program ID and /role NAME switch,
    /new starts over, /quit ends."""
    from app.chat.assistant import Assistant
    from app.chat.models import Role
    from app.documents import DocumentError, read_document

    settings = _settings()
    with _user_errors():
        if program not in _program_ids(settings):
            raise UserError(f"unknown program {program!r}")
        if role not in Role.__members__:
            raise UserError(f"unknown role {role!r}; use candidate, mentor or staff")
        assistant = Assistant(settings)
        _index_notices(assistant)
    session = assistant.new_session(program, role)
    typer.echo(f"certprep chat ({session.program.upper()}, {session.role.value}). /help for commands, /quit to end.")
    attachment = None
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo("")
            return
        text = line.strip()
        if not text:
            continue
        if text in {"/quit", "/exit"}:
            return
        if text == "/help":
            typer.echo("/file PATH  attach a narrative; /program ID; /role candidate|mentor|staff; /new; /quit")
            continue
        if text == "/new":
            session = assistant.new_session(session.program, session.role)
            typer.echo("New conversation.")
            continue
        command, _, argument = text.partition(" ")
        if command == "/program":
            if argument not in assistant.knowledge:
                typer.echo(f"unknown program {argument!r}; known: {', '.join(sorted(assistant.knowledge))}")
            else:
                session.program = argument
            continue
        if command == "/role":
            if argument not in Role.__members__:
                typer.echo("roles: candidate, mentor, staff")
            else:
                session.role = Role(argument)
            continue
        if command == "/file":
            try:
                attachment = read_document(argument, settings.max_upload_bytes).text
                typer.echo(f"Attached {argument}. Ask a question about it, e.g. 'which standards does this show?'")
            except DocumentError as exc:
                typer.echo(f"error: {exc}")
            continue
        typer.echo("certprep> ", nl=False)
        try:
            for event in assistant.stream(text, session, attachment):
                if event.kind == "token":
                    typer.echo(event.text, nl=False)
                elif event.kind == "replace":
                    typer.echo("\n(replaced by the offline answer)\n" + event.text, nl=False)
                elif event.kind == "done" and event.reply is not None:
                    typer.echo("")
                    for n, c in enumerate(event.reply.citations, 1):
                        flag = " (uncertain)" if c.confidence == "uncertain" else ""
                        typer.echo(f"  [{n}] {c.title} ({c.source}){flag}")
                    for notice in event.reply.notices:
                        typer.echo(f"  note: {notice}")
        except ValueError as exc:
            typer.echo(f"error: {exc}")
        attachment = None


def _read_questions(path: Path) -> list[str]:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
        typer.echo(f"note: {path} is not UTF-8; read it as Latin-1", err=True)
    questions = [line.strip() for line in text.splitlines() if line.strip()]
    if not questions:
        raise UserError(f"{path}: no questions (one per line)")
    return questions


def _may_serve(settings, host: str) -> None:
    """Personal mode (no sign-in) serves only this computer; organization mode needs an administrator."""
    from app.config import AccessMode

    if settings.mode is AccessMode.personal and not _loopback(host):
        _fail(
            f"{host} is reachable from other computers and accounts are off: set CERTPREP_MODE=organization "
            "and add an administrator (`certprep users add NAME --role admin`), or serve on 127.0.0.1"
        )
    if settings.mode is AccessMode.organization:
        from app.accounts import AccountRole, Accounts
        from app.storage import Storage

        accounts = Accounts(Storage(settings.database), settings)
        if not accounts.count(AccountRole.admin) and not settings.sso_provider:
            _fail("organization mode needs an administrator: `certprep users add NAME --role admin` first")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8501,
    skip_ingest: Annotated[bool, typer.Option("--skip-ingest", help="Do not build a missing index first.")] = False,
) -> None:
    """Start the web app (headless, usage statistics off); builds the index first if it is missing.

    Personal mode (no sign-in) serves only this computer: on any other address it refuses to start."""
    import os
    from pathlib import Path

    settings = _settings()
    _may_serve(settings, host)
    if not skip_ingest:
        ingest_cmd(rebuild=False, if_missing=True)
    script = Path(__file__).with_name("server.py")  # the pages, plus /ready and the warm-up at start
    args = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal",
        "--server.maxUploadSize", str(settings.upload_transfer_mb),
    ]  # fmt: skip
    typer.echo(f"certprep is starting on http://{host}:{port}")
    os.execv(sys.executable, args)


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command("api")
def api_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8600,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes; each loads the model and index once.")
    ] = 1,
    skip_ingest: Annotated[bool, typer.Option("--skip-ingest", help="Do not build a missing index first.")] = False,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log each request's method, path and status.")
    ] = True,
) -> None:
    """Start the HTTP API (FastAPI on uvicorn; OpenAPI at /docs); builds the index first if it is missing.

    Organization mode: every endpoint but /health and /ready needs a token from POST /v1/token. Personal mode
    (no accounts) serves only this computer: on any other address it refuses to start."""
    settings = _settings()
    _may_serve(settings, host)
    if not skip_ingest:
        from app.config import ChromaMode
        from app.index.store import StoreUnavailableError, close_client, make_client

        try:
            if settings.chroma_mode is ChromaMode.server:
                close_client(make_client(settings))
        except StoreUnavailableError as exc:  # the rules, checks and analyses do not need the index
            typer.echo(f"note: {exc} Starting anyway: questions get 503 until it can be reached.", err=True)
        else:
            ingest_cmd(rebuild=False, if_missing=True)
    import uvicorn

    typer.echo(f"certprep API is starting on http://{host}:{port} (OpenAPI: /docs, {workers} worker(s))")
    uvicorn.run(
        "app.api.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=access_log,
        server_header=False,
    )


@app.command("analyze")
def analyze_cmd(
    files: Annotated[
        list[str] | None, typer.Argument(help="Narratives (.txt, .md, .docx, .pdf), or - for standard input.")
    ] = None,
    program: Annotated[str, typer.Option("--program", "-p", help="Program id, e.g. cpt.")] = "cpt",
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
    compare_with: Annotated[
        tuple[str, str] | None,
        typer.Option("--compare", help="OLD NEW: what improved or regressed between two drafts."),
    ] = None,
) -> None:
    """Map project narratives to the program's standards: what is demonstrated, where, and what is missing."""
    from app.documents import DocumentError, read_document
    from app.mapping.compare import compare
    from app.mapping.service import analyze_documents
    from app.reports.analysis_text import render_analysis, render_comparison

    settings = _settings()
    with _user_errors():
        if compare_with is not None:
            if files:
                raise UserError("give either FILES or --compare OLD NEW, not both")
            old, new = (read_document(path, settings.max_upload_bytes) for path in compare_with)
            analysis = analyze_documents(settings, program, [old, new])
            result = compare(program, analysis.projects[0], analysis.projects[1])
            if as_json:
                typer.echo(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
            else:
                render_comparison(result)
            return
        if not files:
            raise UserError("give one or more narrative files (or - for standard input)")
        if files.count("-") > 1:
            raise UserError("standard input (-) can be read only once")
        documents, problems = [], []
        for path in files:
            try:
                documents.append(read_document(path, settings.max_upload_bytes))
            except DocumentError as exc:
                problems.append(str(exc))
        if problems:
            raise UserError("\n".join(problems))
        for document in documents:
            if document.notice:
                typer.echo(f"note: {document.notice}", err=True)
        analysis = analyze_documents(settings, program, documents)
        if as_json:
            typer.echo(json.dumps(analysis.public(), indent=2, ensure_ascii=False))
        else:
            render_analysis(analysis)


@app.command("check")
def check_cmd(
    application: Annotated[Path, typer.Argument(help="The application file (YAML); see the README for the format.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Review a whole application against its program's rules: a checklist with what to fix first."""
    from app.eligibility.check import check_application
    from app.reports.check_text import render_check

    settings = _settings()
    with _user_errors():
        result = check_application(settings, application)
    if as_json:
        typer.echo(json.dumps(result.public(), indent=2, ensure_ascii=False))
    else:
        render_check(result)


def _date_option(value: str | None, option: str):
    from app.eligibility.dates import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError:
        _fail(f"{option}: {value!r} is not a date (use YYYY-MM-DD)")


@app.command("recert")
def recert_cmd(
    program: Annotated[str, typer.Option("--program", "-p", help="Program id (cpt, cpo, pmp...).")],
    anniversary: Annotated[
        str, typer.Option("--anniversary", help="Certification anniversary that ends the cycle (YYYY-MM-DD).")
    ],
    points_log: Annotated[
        Path,
        typer.Option(
            "--points-log",
            "--ceu-log",
            "--pdu-log",
            help="CSV: date, activity, the program's credit column (points, ceus, pdus) and, where the program "
            "has them, category (several separated by ;) or yes/no flag columns such as ethics.",
        ),
    ],
    today: Annotated[str | None, typer.Option("--today", help="Check as of this date (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recertification: credits in the cycle, the ethics minimum and the filing deadline."""
    import datetime as dt

    from app.eligibility.recert import check_recert, read_credit_log
    from app.knowledge import load_knowledge
    from app.reports.check_text import render_recert

    settings = _settings()
    anniversary_day = _date_option(anniversary, "--anniversary")
    today_day = _date_option(today, "--today") or dt.date.today()
    with _user_errors():
        knowledge = load_knowledge(settings.knowledge_dir)
        if program not in knowledge:
            raise UserError(f"unknown program {program!r} (known: {', '.join(sorted(knowledge))})")
        kb = knowledge[program]
        rows = read_credit_log(points_log, kb)
        result = check_recert(kb, anniversary_day, rows, today_day)
    if as_json:
        typer.echo(json.dumps(result.public(), indent=2, ensure_ascii=False))
    else:
        render_recert(result)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn known, user-fixable failures into one clear line and exit code 2."""
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
    from app.templates import TemplateError

    try:
        yield
    except KnowledgeError as exc:
        if _state["debug"]:
            raise
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("error: the knowledge base is invalid; fix it, then run `certprep ingest`", err=True)
        raise typer.Exit(2) from None
    except (ApplicationError, HoursLogError) as exc:
        if _state["debug"]:
            raise
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2) from None
    except (
        IndexMismatchError,
        StoreUnavailableError,
        ModelNotFoundError,
        InferenceError,
        UserError,
        DocumentError,
        AnalysisError,
        ModelMissingError,
        TemplateError,
        RecertError,
    ) as exc:
        if _state["debug"]:
            raise
        _fail(str(exc))


def main() -> None:
    try:
        app()
    except UserError as exc:
        if _state["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
