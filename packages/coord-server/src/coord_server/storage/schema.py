"""Tables of the coord database, in SQLAlchemy Core: one schema for SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

metadata = MetaData()

NO_REPO = ""
"""Repo key stored for claims without a repo: a real value so it can take part in keys."""


class UtcTimestamp(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both backends (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


claims = Table(
    "claims",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("repo", String(200), nullable=False, default=NO_REPO),
    Column("engineer", String(200), nullable=False),
    Column("branch", String(300)),
    Column("description", Text),
    Column("claim_type", String(20), nullable=False),
    Column("pattern", Text, nullable=False),
    Column("symbols", JSON),
    Column("narrowable", Boolean, nullable=False),
    Column("shared", Boolean, nullable=False, default=False),
    Column("severity", String(10), nullable=False),
    Column("coexists_with", JSON, nullable=False),
    Column("session_id", String(128)),
    Column("fence", BigInteger, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("expires_at", UtcTimestamp, nullable=False),
    Column("last_activity", UtcTimestamp),
    Column("released_at", UtcTimestamp),
    Column("release_reason", String(20)),
    Index("ix_claims_active", "released_at", "repo"),
    Index("ix_claims_session", "session_id"),
    Index("ix_claims_engineer", "engineer"),
)

fences = Table(
    "fences",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("last_fence", BigInteger, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(128), primary_key=True),
    Column("principal", String(200)),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("last_activity", UtcTimestamp, nullable=False),
)

queue_entries = Table(
    "queue_entries",
    metadata,
    Column("queue_id", String(40), primary_key=True),
    Column("repo", String(200), nullable=False),
    Column("engineer", String(200), nullable=False),
    Column("session_id", String(128)),
    Column("request", JSON, nullable=False),
    Column("urgency", String(10), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("enqueued_at", UtcTimestamp, nullable=False),
    Column("expires_at", UtcTimestamp, nullable=False),
    Column("state", String(12), nullable=False),
    Column("granted_claim_ids", JSON),
    Column("finished_at", UtcTimestamp),
    Index("ix_queue_state", "state", "repo"),
)

blocked_attempts = Table(
    "blocked_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repo", String(200), nullable=False),
    Column("pattern", Text, nullable=False),
    Column("engineer", String(200), nullable=False),
    Column("holder_claim_id", String(40), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Index("ix_blocked_at", "at"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_type", String(40), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Column("repo", String(200), nullable=False),
    Column("engineer", String(200)),
    Column("detail", JSON, nullable=False),
    Index("ix_events_at", "at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Index("ix_idempotency_created", "created_at"),
)

webhook_outbox = Table(
    "webhook_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(40), nullable=False, unique=True),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("next_attempt_at", UtcTimestamp),
    Column("last_attempt_at", UtcTimestamp),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", UtcTimestamp),
    Index("ix_outbox_due", "state", "next_attempt_at"),
    Index("ix_outbox_created", "created_at"),
)
"""Webhook deliveries, written in the transaction of the event they carry (SPEC §9)."""
