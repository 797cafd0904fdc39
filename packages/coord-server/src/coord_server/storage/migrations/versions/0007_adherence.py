"""Adherence: pushed commits as the checks judged them, undeclared edits, fired alerts.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from coord_server.storage.schema import UtcTimestamp

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    """Three tables, empty: the figures start with the first report."""
    op.create_table(
        "adherence_commits",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("sha", sa.String(64), primary_key=True),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("covered", sa.Integer, nullable=False),
        sa.Column("trailers", sa.Boolean, nullable=False),
        sa.Column("first_at", UtcTimestamp, nullable=False),
        sa.Column("last_at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_adherence_commits_first", "adherence_commits", ["first_at"])
    op.create_table(
        "adherence_edits",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("engineer", sa.String(200), primary_key=True),
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("path_hash", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("first_at", UtcTimestamp, nullable=False),
        sa.Column("last_at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_adherence_edits_last", "adherence_edits", ["last_at"])
    op.create_table(
        "adherence_alerts",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("covered_share", sa.Float, nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
    )


def downgrade() -> None:
    """Drop the figures."""
    op.drop_table("adherence_alerts")
    op.drop_index("ix_adherence_edits_last", "adherence_edits")
    op.drop_table("adherence_edits")
    op.drop_index("ix_adherence_commits_first", "adherence_commits")
    op.drop_table("adherence_commits")
