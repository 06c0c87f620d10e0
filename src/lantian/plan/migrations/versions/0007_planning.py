"""Planning (issue #16 parts 2 and 3): measures' links to the inventory, apportionment results.

Revision ID: 0007_planning
Revises: 0006_permit_limits_hours
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_planning"
down_revision = "0006_permit_limits_hours"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measure_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("selector", sa.JSON(), nullable=False),
        sa.Column("pollutants", sa.JSON(), nullable=True),
        sa.Column("change_kind", sa.String(length=20), nullable=False),
        sa.Column("value_before", sa.Float(), nullable=False),
        sa.Column("value_after", sa.Float(), nullable=False),
        sa.Column("control_efficiency", sa.Float(), nullable=True),
        sa.Column("baseline_quantity", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measures.id"], name=op.f("fk_measure_links_measure_id_measures")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_measure_links_target_id_targets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_links")),
    )
    with op.batch_alter_table("measure_links") as batch:
        batch.create_index(batch.f("ix_measure_links_measure_id"), ["measure_id"], unique=False)
    op.create_table(
        "apportionments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("sensitivities", sa.JSON(), nullable=True),
        sa.Column("profiles", sa.JSON(), nullable=True),
        sa.Column("contributions", sa.JSON(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("imported_from", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apportionments")),
        sa.UniqueConstraint("name", name=op.f("uq_apportionments_name")),
    )


def downgrade() -> None:
    op.drop_table("apportionments")
    with op.batch_alter_table("measure_links") as batch:
        batch.drop_index(batch.f("ix_measure_links_measure_id"))
    op.drop_table("measure_links")
