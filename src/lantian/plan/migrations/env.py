"""Alembic environment of the plan ledger, run in-process by ``lantian.plan.database.upgrade``.

The caller hands over an open connection in ``config.attributes["connection"]``; there is no
alembic.ini. SQLite needs batch mode for ALTER TABLE, so it is on for every future migration.
"""

from alembic import context

import lantian.inventory.models
import lantian.planning.models
import lantian.sources.models  # noqa: F401  (the source registry's tables share the ledger's Base)
from lantian.plan.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the ledger's migrations with lantian.plan.database.upgrade(engine)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
