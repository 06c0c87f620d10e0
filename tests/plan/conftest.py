"""Fixtures of the plan ledger's tests: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``LANTIAN_TEST_POSTGRES_URL`` if set, else from ``scripts/postgres`` (which
installs it if needed and starts a throwaway server, stopped at the end of the session). Only if
neither works are the PostgreSQL cases skipped, with the reason.

Each backend gets two template databases, migrated once per session: ``empty`` and ``seeded`` (the
model plan loaded and four users). Each test works on its own copy: a file copy for SQLite,
``CREATE DATABASE … TEMPLATE`` for PostgreSQL — so tests commit freely and never see each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from lantian.plan.access import SYSTEM, Actor
from lantian.plan.audit import LedgerSession
from lantian.plan.auth import actor_of, add_user
from lantian.plan.database import create_ledger_engine, transaction, upgrade
from lantian.plan.models import User
from lantian.plan.plans import load_example
from lantian.settings import settings
from tests.ledger_users import PASSWORD, USERS

ROOT = Path(__file__).resolve().parents[2]


def _start_postgres() -> tuple[str | None, str | None, str]:
    """(url, data folder to remove at the end, why not) of a PostgreSQL server for the tests."""
    if os.environ.get("LANTIAN_TEST_POSTGRES_URL"):
        return os.environ["LANTIAN_TEST_POSTGRES_URL"], None, ""
    try:
        done = subprocess.run(
            [str(ROOT / "scripts" / "postgres")],
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, None, f"scripts/postgres could not run: {error}"
    if done.returncode != 0:
        return None, None, f"scripts/postgres failed: {done.stderr.strip()[-500:]}"
    exports = dict(
        line.removeprefix("export ").split("=", 1)
        for line in done.stdout.splitlines()
        if line.startswith("export ")
    )
    return exports["LANTIAN_TEST_POSTGRES_URL"], exports["LANTIAN_POSTGRES_DATA"], ""


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL database to create test databases from (``None``: unavailable)."""
    url, data, why = _start_postgres()
    if url is None:
        print(f"\nPostgreSQL tests skipped: {why}")
    yield url, why
    if data:
        subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", data], capture_output=True)


def _seed(url: str) -> None:
    engine = create_ledger_engine(url)
    upgrade(engine)
    with transaction(engine) as db:
        load_example(db, SYSTEM)
        for name, (display, role, unit) in USERS.items():
            add_user(db, SYSTEM, name, role, PASSWORD, unit=unit, display_name=display)
    engine.dispose()


@dataclass
class Templates:
    backend: str
    make_copy: object  # (template name) -> url
    drop: object  # (url) -> None
    shared: str | None = None  # PostgreSQL: a seeded database that tests use inside a rollback


def _sqlite_templates(folder: Path) -> Templates:
    empty, seeded = folder / "empty.sqlite3", folder / "seeded.sqlite3"
    engine = create_ledger_engine(f"sqlite:///{empty}")
    upgrade(engine)
    engine.dispose()
    shutil.copy(empty, seeded)
    _seed(f"sqlite:///{seeded}")

    def make_copy(template: str) -> str:
        target = folder / f"test-{uuid.uuid4().hex}.sqlite3"
        shutil.copy(empty if template == "empty" else seeded, target)
        return f"sqlite:///{target}"

    def drop(url: str) -> None:
        Path(make_url(url).database).unlink(missing_ok=True)

    return Templates("sqlite", make_copy, drop)


def _postgres_templates(server_url: str) -> Templates:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    tag = uuid.uuid4().hex[:8]
    names = {"empty": f"lantian_empty_{tag}", "seeded": f"lantian_seeded_{tag}"}
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{names["empty"]}"'))
    base = make_url(server_url)
    engine = create_ledger_engine(base.set(database=names["empty"]).render_as_string(False))
    upgrade(engine)
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{names["seeded"]}" TEMPLATE "{names["empty"]}"'))
    _seed(base.set(database=names["seeded"]).render_as_string(False))

    def make_copy(template: str) -> str:
        name = f"lantian_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[template]}"'))
        return base.set(database=name).render_as_string(False)

    def drop(url: str) -> None:
        with admin.connect() as connection:
            connection.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
            )

    return Templates("postgresql", make_copy, drop, shared=make_copy("seeded"))


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> Templates:
    return _sqlite_templates(tmp_path_factory.mktemp("ledger"))


@pytest.fixture(scope="session")
def postgres_templates(postgres_server) -> Templates | None:
    url, _ = postgres_server
    return _postgres_templates(url) if url else None


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> Templates:
    """The database backend of a test: each test that needs a ledger runs on both."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_templates")
    templates = request.getfixturevalue("postgres_templates")
    if templates is None:
        why = f"PostgreSQL unavailable: {request.getfixturevalue('postgres_server')[1]}"
        if os.environ.get("LANTIAN_TEST_REQUIRE_POSTGRES"):  # set by scripts/test: CI needs them
            pytest.fail(why)
        pytest.skip(why)
    return templates


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """Every test has its own LANTIAN_HOME (evidence files land there) and fresh settings."""
    monkeypatch.setenv("LANTIAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    settings.cache_clear()
    yield tmp_path / "home"
    settings.cache_clear()


def _ledger(backend: Templates, template: str, monkeypatch):
    url = backend.make_copy(template)
    monkeypatch.setenv("LANTIAN_DATABASE_URL", url)
    settings.cache_clear()
    engine = create_ledger_engine(url)
    yield engine
    engine.dispose()
    backend.drop(url)


@pytest.fixture
def engine(backend, monkeypatch):
    """A ledger with the model plan and the users of ``USERS``; LANTIAN_DATABASE_URL points to it."""
    yield from _ledger(backend, "seeded", monkeypatch)


@pytest.fixture
def empty_engine(backend, monkeypatch):
    """A migrated, empty ledger; LANTIAN_DATABASE_URL points to it."""
    yield from _ledger(backend, "empty", monkeypatch)


@pytest.fixture(scope="session")
def shared_postgres_engine(postgres_templates):
    engine = create_ledger_engine(postgres_templates.shared)
    yield engine
    engine.dispose()


@pytest.fixture
def db(backend, monkeypatch, request):
    """A session on a seeded ledger of its own; the test commits or rolls back as it likes.

    SQLite: a copy of the seeded file. PostgreSQL (where copying a database costs ~0.4 s): the
    shared seeded database inside a transaction rolled back at the end, the session's own commits
    and rollbacks being savepoints within it.
    """
    if backend.backend == "sqlite":
        for engine in _ledger(backend, "seeded", monkeypatch):
            with LedgerSession(engine, expire_on_commit=False) as session:
                yield session
        return
    engine = request.getfixturevalue("shared_postgres_engine")
    with engine.connect() as connection:
        outer = connection.begin()
        session = LedgerSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def actors(db) -> dict[str, Actor]:
    """The seeded users as actors, by name, plus ``system``."""
    users = {u.name: actor_of(u) for u in db.scalars(select(User))}
    return {**users, "system": SYSTEM}
