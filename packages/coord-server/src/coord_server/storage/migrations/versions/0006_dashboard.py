"""Dashboard: server-side browser sessions and one-time login codes.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from coord_server.storage.schema import UtcTimestamp

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    """One table: a row is a logged-in browser (`session`) or a link not yet used (`login_code`)."""
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(12), nullable=False),
        sa.Column("principal_kind", sa.String(12), nullable=False),
        sa.Column("engineer", sa.String(200)),
        sa.Column("repo", sa.String(200)),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("token_id", sa.String(40)),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcTimestamp, nullable=False),
        sa.Column("expires_at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_dashboard_sessions_expires", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    """Drop the table: every browser logs in again."""
    op.drop_index("ix_dashboard_sessions_expires", "dashboard_sessions")
    op.drop_table("dashboard_sessions")
