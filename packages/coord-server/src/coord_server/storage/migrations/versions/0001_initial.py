"""Initial schema: claims, fences, sessions, queue, blocked attempts, events, idempotency.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from coord_server.storage.schema import UtcTimestamp

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the first version of every table."""
    op.create_table(
        "claims",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(300)),
        sa.Column("description", sa.Text),
        sa.Column("claim_type", sa.String(20), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("symbols", sa.JSON),
        sa.Column("narrowable", sa.Boolean, nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("coexists_with", sa.JSON, nullable=False),
        sa.Column("session_id", sa.String(128)),
        sa.Column("fence", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcTimestamp, nullable=False),
        sa.Column("expires_at", UtcTimestamp, nullable=False),
        sa.Column("last_activity", UtcTimestamp),
        sa.Column("released_at", UtcTimestamp),
        sa.Column("release_reason", sa.String(20)),
    )
    op.create_index("ix_claims_active", "claims", ["released_at", "repo"])
    op.create_index("ix_claims_session", "claims", ["session_id"])
    op.create_index("ix_claims_engineer", "claims", ["engineer"])
    op.create_table(
        "fences",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("last_fence", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("principal", sa.String(200)),
        sa.Column("created_at", UtcTimestamp, nullable=False),
        sa.Column("last_activity", UtcTimestamp, nullable=False),
    )
    _create_queue_and_audit()


def _create_queue_and_audit() -> None:
    op.create_table(
        "queue_entries",
        sa.Column("queue_id", sa.String(40), primary_key=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("session_id", sa.String(128)),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("enqueued_at", UtcTimestamp, nullable=False),
        sa.Column("expires_at", UtcTimestamp, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("granted_claim_ids", sa.JSON),
        sa.Column("finished_at", UtcTimestamp),
    )
    op.create_index("ix_queue_state", "queue_entries", ["state", "repo"])
    op.create_table(
        "blocked_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("holder_claim_id", sa.String(40), nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_blocked_at", "blocked_attempts", ["at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("engineer", sa.String(200)),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_at", "events", ["at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_idempotency_created", "idempotency_keys", ["created_at"])
