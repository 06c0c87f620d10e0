"""A ledger of its own for each inventory test: SQLite, migrated once per session and copied,
with the EXAMPLE registry (invented, 示例) registered; LANTIAN_HOME in the test's folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lantian.plan.access import SYSTEM
from lantian.plan.database import create_ledger_engine, transaction, upgrade
from lantian.settings import settings
from lantian.sources.example import import_example


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "template.sqlite3"
    engine = create_ledger_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(engine) as db:
        import_example(db, SYSTEM)
    engine.dispose()
    return path


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LANTIAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    settings.cache_clear()
    yield tmp_path / "home"
    settings.cache_clear()


@pytest.fixture
def ledger(registry_template, home, monkeypatch) -> Iterator[Engine]:
    """A migrated ledger holding the example registry; LANTIAN_DATABASE_URL points to it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "plan.sqlite3"
    shutil.copyfile(registry_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("LANTIAN_DATABASE_URL", url)
    settings.cache_clear()
    engine = create_ledger_engine(url)
    yield engine
    engine.dispose()
