"""The ledger's database: one SQLAlchemy code path for SQLite (default) and PostgreSQL.

``open_ledger()`` gives an engine on ``settings().ledger_url`` with the schema migrated to the newest
Alembic revision (the migrations live in ``migrations/`` inside the package and run in-process).
``transaction(engine)`` is a session that commits when its block ends and rolls back on an error, so
a service call that fails stores nothing. Processes that open the same ledger at once (the
workers of ``lantian serve --workers N``) migrate it one at a time (:func:`migration_lock`).
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lantian.plan.audit import LedgerSession
from lantian.settings import settings


def _json_dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _sqlite_pragmas(connection, record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe in WAL mode
    cursor.close()


def create_ledger_engine(url: str | None = None) -> Engine:
    """An engine on ``url`` (default: ``settings().ledger_url``); no migration is run."""
    url = url or settings().ledger_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=_json_dumps, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, json_serializer=_json_dumps, pool_pre_ping=True)


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("lantian.plan") / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the ledger's schema to ``revision`` (default the newest)."""
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, ``None`` for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration's revision."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("lantian.plan") / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def open_ledger(url: str | None = None) -> Engine:
    """An engine on the ledger (default: ``settings().ledger_url``), its schema migrated to head."""
    engine = create_ledger_engine(url)
    if current_revision(engine) != head_revision():
        with migration_lock(engine):
            if current_revision(engine) != head_revision():  # not migrated meanwhile
                upgrade(engine)
    return engine


MIGRATION_LOCK = 0x4C414E5449414F
"""PostgreSQL's advisory lock of the ledger's migrations (one more than the audit writers')."""


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migration of the ledger at a time across processes: on SQLite an exclusive ``flock``
    of ``<database>.migrate-lock`` beside the file; on PostgreSQL a session advisory lock."""
    if engine.url.get_backend_name() == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()


@contextmanager
def transaction(engine: Engine) -> Iterator[LedgerSession]:
    """A ledger session that commits at the end of the block, or rolls back if it raises."""
    with LedgerSession(engine, expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def ledger_exists(url: str | None = None) -> bool:
    """Whether the ledger has been created (always true for a server database such as PostgreSQL;
    for SQLite, whether its file exists) — for readers that should not create one as a side effect."""
    parsed = make_url(url or settings().ledger_url)
    if parsed.get_backend_name() != "sqlite":
        return True
    return (
        bool(parsed.database) and parsed.database != ":memory:" and Path(parsed.database).is_file()
    )
