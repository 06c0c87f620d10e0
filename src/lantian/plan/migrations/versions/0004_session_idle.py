"""Sessions remember their last request, for the idle timeout.

Revision ID: 0004_session_idle
Revises: 0003_sources
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_session_idle"
down_revision = "0003_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("login_sessions", sa.Column("last_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_sessions") as batch:
        batch.drop_column("last_seen_at")
