"""Identity: per-engineer tokens; sessions owned by the engineer who first used them.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from coord_server.storage.schema import UtcTimestamp

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    """`api_tokens` holds token hashes; sessions recorded under the shared operator token
    name no engineer, so they are left for their next user to own."""
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("repo", sa.String(200)),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcTimestamp, nullable=False),
        sa.Column("expires_at", UtcTimestamp),
        sa.Column("last_used_at", UtcTimestamp),
        sa.Column("revoked_at", UtcTimestamp),
    )
    op.execute("UPDATE sessions SET principal = NULL WHERE principal = 'operator'")


def downgrade() -> None:
    """Drop the tokens (session owners stay as they are)."""
    op.drop_table("api_tokens")
