"""The Alembic migrations make exactly the schema of the models, on SQLite and PostgreSQL, and
can be undone and redone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import lantian.inventory.models
import lantian.planning.models
import lantian.sources.models  # noqa: F401  (the source registry's tables are in the same schema)
from lantian.plan.database import current_revision, head_revision, upgrade
from lantian.plan.models import Base


def test_migrations_match_the_models(empty_engine):
    assert current_revision(empty_engine) == head_revision()
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_and_upgrade_again(empty_engine):
    upgrade_to = head_revision()
    from alembic import command

    from lantian.plan.database import _alembic_config

    with empty_engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert current_revision(empty_engine) == upgrade_to
    assert {"audit_log", "sources", "enterprises", "construction_sites", "devices"} <= set(
        inspect(empty_engine).get_table_names()
    )
