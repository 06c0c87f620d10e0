"""The source registry (issue #14): sources, enterprises, construction sites, devices.

The source registry's tables live in the ledger's database and are audited like the ledger.

Revision ID: 0003_sources
Revises: 0002_audit_chain
Create Date: 2026-12-03 08:14:29.152288
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_sources"
down_revision = "0002_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("town", sa.String(length=100), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("responsible_unit", sa.String(length=100), nullable=True),
        sa.Column("geometry", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("code", name=op.f("uq_sources_code")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_kind"), ["kind"], unique=False)

    op.create_table(
        "construction_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("permit_number", sa.String(length=64), nullable=True),
        sa.Column("developer", sa.String(length=200), nullable=True),
        sa.Column("contractor", sa.String(length=200), nullable=True),
        sa.Column("site_type", sa.String(length=10), nullable=False),
        sa.Column("disturbed_area_m2", sa.Float(), nullable=True),
        sa.Column("phase", sa.String(length=10), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"],
            ["sources.id"],
            name=op.f("fk_construction_sites_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_construction_sites")),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("network", sa.String(length=20), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("factor_units", sa.JSON(), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=True),
        sa.Column("installed", sa.Date(), nullable=True),
        sa.Column("removed", sa.Date(), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("password_salt", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=64), nullable=False),
        sa.Column("nearest_station_code", sa.String(length=16), nullable=True),
        sa.Column("nearest_station_km", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_devices_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("mn", name=op.f("uq_devices_mn")),
        sa.UniqueConstraint("station_code", name=op.f("uq_devices_station_code")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_source_id"), ["source_id"], unique=False)

    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("industry_name", sa.String(length=100), nullable=True),
        sa.Column("emergency_grade", sa.String(length=1), nullable=True),
        sa.Column("permit_number", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["id"], ["sources.id"], name=op.f("fk_enterprises_id_sources"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )


def downgrade() -> None:
    op.drop_table("enterprises")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_source_id"))

    op.drop_table("devices")
    op.drop_table("construction_sites")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_kind"))

    op.drop_table("sources")
