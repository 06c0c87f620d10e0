"""The registry's permitted emission limits of enterprises and working hours of sites (issue #15).

Revision ID: 0006_permit_limits_hours
Revises: 0005_inventory
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_permit_limits_hours"
down_revision = "0005_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(
            sa.Column("permit_limits", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(sa.Column("permit_standard", sa.String(length=200), nullable=True))
    with op.batch_alter_table("construction_sites") as batch:
        batch.add_column(sa.Column("working_hours", sa.String(length=11), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("construction_sites") as batch:
        batch.drop_column("working_hours")
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("permit_standard")
        batch.drop_column("permit_limits")
