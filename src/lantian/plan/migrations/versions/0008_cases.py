"""Cases (issue #15): one workflow for alarms, truck violations, complaints, inspections and
supervision. The ledger's supervision items become cases of origin ``supervision`` (same ids, their
step as the case's ``escalation``, an ``open`` step and, if closed, a ``close`` step each), and the
``supervisions`` table goes; evidence files may belong to a case.

Revision ID: 0008_cases
Revises: 0007_planning
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0008_cases"
down_revision = "0007_planning"
branch_labels = None
depends_on = None


def _create_tables() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=30), nullable=False),
        sa.Column("origin_ref", sa.String(length=100), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("escalation", sa.String(length=30), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure", sa.Text(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("repeat_of", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_cases_measure_id_measures")
        ),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_cases_opened_by_users")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_cases_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_cases_source_id_sources")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_cases_task_id_tasks")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_cases_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases") as batch:
        batch.create_index(batch.f("ix_cases_origin"), ["origin"], unique=False)
        batch.create_index(batch.f("ix_cases_origin_ref"), ["origin_ref"], unique=False)
        batch.create_index(batch.f("ix_cases_source_id"), ["source_id"], unique=False)
        batch.create_index(batch.f("ix_cases_status"), ["status"], unique=False)
        batch.create_index(batch.f("ix_cases_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "case_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("escalation", sa.String(length=30), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_steps_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_case_steps_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_steps_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_steps")),
    )
    with op.batch_alter_table("case_steps") as batch:
        batch.create_index(batch.f("ix_case_steps_case_id"), ["case_id"], unique=False)
        batch.create_index(batch.f("ix_case_steps_ref"), ["ref"], unique=False)


CASES_FROM_SUPERVISIONS = """
INSERT INTO cases (id, origin, plan_id, measure_id, task_id, title, description, unit_id, status,
                   escalation, opened_on, deadline, closed_on, closure, occurrences, details,
                   opened_by, opened_at, updated_at)
SELECT id, 'supervision', plan_id, measure_id, task_id, substr(finding, 1, 200), finding, unit_id,
       CASE WHEN closed_on IS NULL THEN 'dispatched' ELSE 'closed' END, step, "on",
       follow_up_deadline, closed_on, closure, 1, '{}', recorded_by, :now, :now
FROM supervisions
"""
STEPS_FROM_SUPERVISIONS = """
INSERT INTO case_steps (case_id, at, user_id, user_name, action, from_status, to_status, note,
                        unit_id, escalation, deadline)
SELECT s.id, :now, s.recorded_by, COALESCE(u.name, 'system'), {action}, {before}, {after}, {note},
       {unit}, {step}, {deadline}
FROM supervisions s LEFT JOIN users u ON u.id = s.recorded_by
{where}
ORDER BY s.id
"""


def _supervisions_to_cases(connection) -> None:
    """Each supervision row → a case of origin ``supervision`` (same id) with an ``open`` step
    (dispatched to its unit, with its step and follow-up deadline) and, if closed, a ``close`` step."""
    now = {"now": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    connection.execute(sa.text(CASES_FROM_SUPERVISIONS), now)
    opened = STEPS_FROM_SUPERVISIONS.format(
        action="'open'", before="NULL", after="'dispatched'", note="s.finding",
        unit="s.unit_id", step="s.step", deadline="s.follow_up_deadline", where="",
    )  # fmt: skip
    closed = STEPS_FROM_SUPERVISIONS.format(
        action="'close'", before="'dispatched'", after="'closed'", note="COALESCE(s.closure, '')",
        unit="NULL", step="NULL", deadline="NULL", where="WHERE s.closed_on IS NOT NULL",
    )  # fmt: skip
    connection.execute(sa.text(opened), now)
    connection.execute(sa.text(closed), now)
    if connection.dialect.name == "postgresql":
        _restart_sequence(connection, "cases")


def _restart_sequence(connection, table: str) -> None:
    """PostgreSQL: move ``table``'s id sequence past the ids copied in."""
    connection.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )
    )


def upgrade() -> None:
    _create_tables()
    _supervisions_to_cases(op.get_bind())
    op.drop_table("supervisions")
    with op.batch_alter_table("evidence") as batch:
        batch.alter_column("report_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("case_step_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_evidence_case_id"), ["case_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_evidence_case_id_cases"), "cases", ["case_id"], ["id"])
        batch.create_foreign_key(
            batch.f("fk_evidence_case_step_id_case_steps"), "case_steps", ["case_step_id"], ["id"]
        )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM evidence WHERE case_id IS NOT NULL"))
    with op.batch_alter_table("evidence") as batch:
        batch.drop_constraint(batch.f("fk_evidence_case_step_id_case_steps"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_evidence_case_id_cases"), type_="foreignkey")
        batch.drop_index(batch.f("ix_evidence_case_id"))
        batch.drop_column("case_step_id")
        batch.drop_column("case_id")
        batch.alter_column("report_id", existing_type=sa.Integer(), nullable=False)
    op.create_table(
        "supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("follow_up_deadline", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_supervisions_measure_id_measures")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_supervisions_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_supervisions_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_supervisions_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_supervisions_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisions")),
    )
    connection.execute(
        sa.text(
            'INSERT INTO supervisions (id, plan_id, step, unit_id, measure_id, task_id, "on", '
            "finding, follow_up_deadline, closed_on, closure, recorded_by) "
            "SELECT id, plan_id, escalation, unit_id, measure_id, task_id, opened_on, description, "
            "deadline, closed_on, closure, opened_by FROM cases "
            "WHERE origin = 'supervision' AND plan_id IS NOT NULL AND unit_id IS NOT NULL "
            "AND escalation IS NOT NULL"
        )
    )
    if connection.dialect.name == "postgresql":
        _restart_sequence(connection, "supervisions")
    op.drop_table("case_steps")
    op.drop_table("cases")
