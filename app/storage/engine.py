"""Connections to the database: a SQLite file by default, PostgreSQL (or any SQLAlchemy URL) by configuration.

Why these choices: one engine (and so one connection pool) per database per process, made and migrated once;
SQLite in WAL with ``synchronous=FULL`` and writes that take the lock at BEGIN (``BEGIN IMMEDIATE``), so a save
that returned is on disk and two writers queue instead of failing half-way; deleted rows overwritten
(``secure_delete``) because "delete my data" must really delete. Alembic upgrades the schema at first use,
under a lock, so several instances starting together migrate once.
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from app.storage import legacy
from app.storage.errors import StorageError

MIGRATIONS = Path(__file__).with_name("migrations")
_WRITE = "certprep_write"
_MIGRATION_LOCK = 7_263_531  # PostgreSQL advisory lock id held while migrating
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a configured URL or a SQLite file path; ``postgresql://`` means psycopg 3."""
    value = str(target).strip()
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_engine(url: str) -> Engine:
    path = Path(make_url(url).database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and legacy.is_legacy(path):
        legacy.upgrade_file(path, _make_baseline)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is ours (below), not the driver's deferred one
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "synchronous=FULL",
            "secure_delete=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def _make_baseline(path: Path) -> None:
    engine = _sqlite_engine(f"sqlite:///{path}")
    try:
        _upgrade(engine, legacy.BASELINE_REVISION)
    finally:
        engine.dispose()


def _upgrade(engine: Engine, revision: str = "head") -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**{_WRITE: True}).begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
        elif engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql("PRAGMA user_version").scalar()
            if found > legacy.ALEMBIC_USER_VERSION:
                raise StorageError(
                    f"{redacted(str(engine.url))}: written by a newer certprep (schema {found}); upgrade certprep"
                )
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA user_version={legacy.ALEMBIC_USER_VERSION}")


def engine_for(url: str) -> Engine:
    """The process's engine for this database, its schema brought up to date on first use."""
    with _lock:
        engine = _engines.get(url)
        if engine is not None and (not url.startswith("sqlite") or Path(engine.url.database or "").exists()):
            return engine
        if engine is not None:  # the file was deleted under us: start again, with a new schema
            engine.dispose()
        if url.startswith("sqlite"):
            engine = _sqlite_engine(url)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        _upgrade(engine)
        _engines[url] = engine
        return engine


def writer(engine: Engine) -> Engine:
    """The same pool, with writes that lock at BEGIN on SQLite."""
    return engine.execution_options(**{_WRITE: True})


def dispose_all() -> None:
    """Close every pooled connection (tests that stop a server, or delete a data directory)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
