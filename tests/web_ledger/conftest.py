"""Fixtures of the ledger pages' tests: a seeded SQLite ledger per test (a copy of one built per
session: the model plan and a user of each role), the app over it, and logged-in clients.

The ledger pages' logic lives in :mod:`lantian.plan`, whose own tests run on SQLite and PostgreSQL;
these tests check the web layer (routes, cookies, CSRF, statuses, rendering) on SQLite.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lantian.plan.access import SYSTEM
from lantian.plan.auth import add_user
from lantian.plan.database import create_ledger_engine, transaction, upgrade
from lantian.plan.plans import load_example
from lantian.settings import settings
from lantian.web import create_app
from lantian.web.ledger import LedgerOpener
from tests.ledger_users import PASSWORD, USERS


def seed_ledger(url: str) -> None:
    """Migrate the ledger at ``url``, load the model plan and add the users of :data:`USERS`."""
    engine = create_ledger_engine(url)
    upgrade(engine)
    with transaction(engine) as db:
        load_example(db, SYSTEM)
        for name, (display, role, unit) in USERS.items():
            add_user(db, SYSTEM, name, role, PASSWORD, unit=unit, display_name=display)
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger-template") / "seeded.sqlite3"
    seed_ledger(f"sqlite:///{path}")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A LANTIAN_HOME of the test's own (evidence files land in ``home/evidence``)."""
    monkeypatch.setenv("LANTIAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    settings.cache_clear()
    yield tmp_path / "home"
    settings.cache_clear()


@pytest.fixture
def engine(seeded_file: Path, home: Path) -> Iterator[Engine]:
    """A copy of the seeded ledger for this test alone."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / f"plan-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copy(seeded_file, path)
    engine = create_ledger_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory: pytest.TempPathFactory):
    """One app for all tests (building it and its first request cost ~0.5 s); each test gives it
    its own ledger."""
    return create_app(tmp_path_factory.mktemp("no-store") / "measurements", warm_up=False)


@pytest.fixture
def app(shared_app, engine: Engine):
    """The app over this test's ledger."""
    shared_app.state.ledger = LedgerOpener(lambda: engine)
    return shared_app


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def login_form_token(client: TestClient) -> str:
    page = client.get("/ledger/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD):
    """Log ``name`` in through the login form; the response (303 on success)."""
    token = login_form_token(client)
    return client.post(
        "/ledger/login", data={"name": name, "password": password, "csrf_token": token}
    )


@pytest.fixture
def login(app):
    """``login(name)``: a new client with ``name`` logged in (``None``: nobody), and its CSRF token."""
    clients = []

    def make(name: str | None) -> tuple[TestClient, str]:
        client = TestClient(app, follow_redirects=False)
        clients.append(client)
        if name is None:
            return client, ""
        response = log_in(client, name)
        assert response.status_code == 303, response.text
        return client, client.cookies["lantian_csrf"]

    yield make
    for client in clients:
        client.close()
