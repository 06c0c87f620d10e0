"""The emission inventory (issue #16): activity data and the district's factor overrides.

Revision ID: 0005_inventory
Revises: 0004_session_idle
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_inventory"
down_revision = "0004_session_idle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("row_key", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("imported_from", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_inventory_activity_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_activity")),
        sa.UniqueConstraint(
            "year", "template", "row_key", name=op.f("uq_inventory_activity_year_template_row_key")
        ),
    )
    with op.batch_alter_table("inventory_activity") as batch:
        batch.create_index(batch.f("ix_inventory_activity_year"), ["year"], unique=False)
        batch.create_index(batch.f("ix_inventory_activity_source_id"), ["source_id"], unique=False)
    op.create_table(
        "inventory_factor_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factor_id", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=60), nullable=False),
        sa.Column("parameter", sa.String(length=100), nullable=False),
        sa.Column("pollutant", sa.String(length=20), nullable=False),
        sa.Column("source_type", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_factor_overrides")),
        sa.UniqueConstraint(
            "factor_id", "from_year", name=op.f("uq_inventory_factor_overrides_factor_id_from_year")
        ),
    )


def downgrade() -> None:
    op.drop_table("inventory_factor_overrides")
    with op.batch_alter_table("inventory_activity") as batch:
        batch.drop_index(batch.f("ix_inventory_activity_source_id"))
        batch.drop_index(batch.f("ix_inventory_activity_year"))
    op.drop_table("inventory_activity")
