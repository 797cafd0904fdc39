"""Webhook outbox and event-stream support.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from coord_server.storage.schema import UtcTimestamp

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """The durable webhook outbox: one row per event on its way to the receiver."""
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(40), nullable=False, unique=True),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UtcTimestamp, nullable=False),
        sa.Column("next_attempt_at", UtcTimestamp),
        sa.Column("last_attempt_at", UtcTimestamp),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", UtcTimestamp),
    )
    op.create_index("ix_outbox_due", "webhook_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_created", "webhook_outbox", ["created_at"])
