"""Release requests, their audit timeline, inbox notices and ownership documents.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from coord_server.storage.schema import UtcTimestamp

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Tables for negotiation (SPEC §7) and ownership (SPEC §8)."""
    _create_release_requests()
    _create_inbox_notices()
    op.create_table(
        "ownership_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
    )
    op.create_table(
        "shared_contention",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("engineer", sa.String(200), nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_shared_contention_at", "shared_contention", ["at"])


def _create_release_requests() -> None:
    op.create_table(
        "release_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("claim_id", sa.String(40), nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("holder_session_id", sa.String(128)),
        sa.Column("holder_pattern", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("requested_scope", sa.Text),
        sa.Column("session_id", sa.String(128)),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("decision", sa.String(12)),
        sa.Column("note", sa.Text),
        sa.Column("narrowed_pattern", sa.Text),
        sa.Column("original_expires_at", UtcTimestamp, nullable=False),
        sa.Column("created_at", UtcTimestamp, nullable=False),
        sa.Column("notified_at", UtcTimestamp),
        sa.Column("decided_at", UtcTimestamp),
        sa.Column("granted_claim_ids", sa.JSON, nullable=False),
    )
    op.create_index("ix_release_requests_state", "release_requests", ["state"])
    op.create_index("ix_release_requests_claim", "release_requests", ["claim_id"])
    op.create_index("ix_release_requests_created", "release_requests", ["created_at"])
    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(20), nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_request_events_request", "request_events", ["request_id", "id"])


def _create_inbox_notices() -> None:
    op.create_table(
        "inbox_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("claim_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("other_engineer", sa.String(200), nullable=False),
        sa.Column("other_claim_id", sa.String(40)),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("symbols", sa.JSON),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", UtcTimestamp, nullable=False),
        sa.Column("at", UtcTimestamp, nullable=False),
    )
    op.create_index("ix_inbox_claim", "inbox_notices", ["claim_id", "kind", "other_engineer"])
