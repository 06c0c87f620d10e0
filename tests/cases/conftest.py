"""Fixtures of the case tests: the ledger's (every database test on SQLite and PostgreSQL, from
``tests/plan/conftest.py``), plus the EXAMPLE source registry (示例, invented) registered."""

from __future__ import annotations

import pytest

from lantian.plan.access import SYSTEM
from lantian.sources.example import import_example
from tests.plan.conftest import (  # noqa: F401  (fixtures)
    actors,
    backend,
    db,
    empty_engine,
    engine,
    home,
    postgres_server,
    postgres_templates,
    shared_postgres_engine,
    sqlite_templates,
)


@pytest.fixture
def registry(db):  # noqa: F811  (the imported fixture)
    """The example registry in ``db``: 示例GD01 (a site, no 监管单位 → 区住建局 by the rules) with
    the dust monitor EXAMPLE00DUST0001, and the other examples."""
    import_example(db, SYSTEM)
    db.flush()
    return db
