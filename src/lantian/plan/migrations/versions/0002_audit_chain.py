"""The audit log's hash chain, and a trigger that refuses an insert over an existing id.

Each row stores the SHA-256 of the row before it (``previous_hash``) and its own (``row_hash``, over
``previous_hash`` and the row's content); ``lantian audit verify`` walks the chain. Rows already in
the log are chained here, in id order (the append-only triggers are lifted for that one UPDATE and
put back). The new trigger closes SQLite's ``INSERT OR REPLACE`` hole: REPLACE deletes the old row
without firing the DELETE trigger; on PostgreSQL it refuses ``INSERT … ON CONFLICT (id) DO UPDATE``
before the UPDATE trigger is reached.

Revision ID: 0002_audit_chain
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_audit_chain"
down_revision = "0001"
branch_labels = None
depends_on = None

NO_REPLACE_SQLITE = [
    "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
NO_REPLACE_POSTGRESQL = [
    "CREATE FUNCTION audit_log_no_replace() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN IF EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) THEN "
    "RAISE EXCEPTION 'audit_log is append-only'; END IF; RETURN NEW; END $$",
    "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_no_replace()",
]
LIFT = {
    "sqlite": ["DROP TRIGGER audit_log_no_update"],
    "postgresql": ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"],
}
RESTORE = {
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    ],
    "postgresql": ["ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"],
}


def _chain_existing_rows(dialect: str) -> None:
    from lantian.plan.audit import chain_existing

    for statement in LIFT.get(dialect, []):
        op.execute(statement)
    chain_existing(op.get_bind())
    for statement in RESTORE.get(dialect, []):
        op.execute(statement)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("previous_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    dialect = op.get_bind().dialect.name
    _chain_existing_rows(dialect)
    statements = {"sqlite": NO_REPLACE_SQLITE, "postgresql": NO_REPLACE_POSTGRESQL}
    for statement in statements.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
        # SQLite drops a column by copying the table, which would drop the append-only triggers
        # with it: they are put back after.
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_no_replace()")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("previous_hash")
    if dialect == "sqlite":
        op.execute(RESTORE["sqlite"][0])
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
