"""Replicas on one database: per-repo versions, row versions, idempotency keys in progress.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

VERSIONED = ("claims", "queue_entries", "release_requests")
"""Tables whose rows record the repo version of their last change."""


def upgrade() -> None:
    """`repo_state` replaces `fences`; versioned tables learn which change touched each row."""
    op.create_table(
        "repo_state",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("last_fence", sa.BigInteger, nullable=False),
        sa.Column("grants_served", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO repo_state (repo, version, last_fence, grants_served) "
        "SELECT repo, 0, last_fence, 0 FROM fences"
    )
    op.drop_table("fences")
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("row_version", sa.BigInteger, nullable=False, server_default="0")
            )
    with op.batch_alter_table("queue_entries") as batch:
        batch.add_column(sa.Column("replica", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("outcome", sa.JSON))
    op.create_index("ix_claims_changes", "claims", ["repo", "row_version"])
    op.create_index("ix_claims_deadline", "claims", ["released_at", "expires_at"])
    op.create_index("ix_queue_changes", "queue_entries", ["repo", "row_version"])
    op.create_index("ix_release_requests_changes", "release_requests", ["repo", "row_version"])
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("status_code", existing_type=sa.Integer, nullable=True)
        batch.alter_column("body", existing_type=sa.Text, nullable=True)
