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
    Float,
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
    Column("row_version", BigInteger, nullable=False, default=0),
    Index("ix_claims_active", "released_at", "repo"),
    Index("ix_claims_changes", "repo", "row_version"),
    Index("ix_claims_deadline", "released_at", "expires_at"),
    Index("ix_claims_session", "session_id"),
    Index("ix_claims_engineer", "engineer"),
)

repo_state = Table(
    "repo_state",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("last_fence", BigInteger, nullable=False),
    Column("grants_served", BigInteger, nullable=False),
)
"""Per repo bucket: the version every change bumps (a replica's cache is current when its
version matches), the newest fence handed out, and the queue grants made (for fairness)."""

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
    Column("outcome", JSON),
    # A granted entry's warnings and notices, for the caller's answer on its own replica.
    Column("finished_at", UtcTimestamp),
    Column("row_version", BigInteger, nullable=False, default=0),
    Column("replica", String(40), nullable=False, default=""),
    # The replica whose request waits on this row: only it can answer the caller.
    Index("ix_queue_state", "state", "repo"),
    Index("ix_queue_changes", "repo", "row_version"),
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
    Column("status_code", Integer),
    # Unset (with the body) while the first request with the key is still being answered.
    Column("body", Text),
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

release_requests = Table(
    "release_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("repo", String(200), nullable=False),
    Column("claim_id", String(40), nullable=False),
    Column("requester", String(200), nullable=False),
    Column("holder", String(200), nullable=False),
    Column("holder_session_id", String(128)),
    Column("holder_pattern", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("urgency", String(10), nullable=False),
    Column("requested_scope", Text),
    Column("session_id", String(128)),
    Column("state", String(12), nullable=False),
    Column("decision", String(12)),
    Column("note", Text),
    Column("narrowed_pattern", Text),
    Column("original_expires_at", UtcTimestamp, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("notified_at", UtcTimestamp),
    Column("decided_at", UtcTimestamp),
    Column("granted_claim_ids", JSON, nullable=False),
    Column("row_version", BigInteger, nullable=False, default=0),
    Index("ix_release_requests_state", "state"),
    Index("ix_release_requests_changes", "repo", "row_version"),
    Index("ix_release_requests_claim", "claim_id"),
    Index("ix_release_requests_created", "created_at"),
)
"""Release requests (SPEC §7); the pending ones are mirrored in memory."""

request_events = Table(
    "request_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(40), nullable=False),
    Column("event_type", String(20), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_request_events_request", "request_id", "id"),
)
"""The audit timeline of each release request: filed, notified, responded, ..."""

inbox_notices = Table(
    "inbox_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repo", String(200), nullable=False),
    Column("claim_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("other_engineer", String(200), nullable=False),
    Column("other_claim_id", String(40)),
    Column("pattern", Text, nullable=False),
    Column("symbols", JSON),
    Column("count", Integer, nullable=False),
    Column("first_at", UtcTimestamp, nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Index("ix_inbox_claim", "claim_id", "kind", "other_engineer"),
)
"""Holder inbox notices: refusals caused by a claim (auto_conflict) and auto-narrowings."""

ownership_documents = Table(
    "ownership_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text, nullable=False),
    Column("source", String(20), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
)
"""Every revision of owners.yaml; the newest row is in force."""

shared_contention = Table(
    "shared_contention",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repo", String(200), nullable=False),
    Column("pattern", Text, nullable=False),
    Column("engineer", String(200), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Index("ix_shared_contention_at", "at"),
)
"""Shared grants that met other holders: the contention a promoted file still sees, which
keeps auto-demote from removing an entry that would be promoted again at once."""

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("engineer", String(200), nullable=False),
    Column("repo", String(200)),
    Column("read_only", Boolean, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("expires_at", UtcTimestamp),
    Column("last_used_at", UtcTimestamp),
    Column("revoked_at", UtcTimestamp),
)
"""Per-engineer tokens (SPEC §13): only the SHA-256 of the secret is kept, never the secret."""

dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    # Only the SHA-256 of the random id is stored: a leaked table opens no browser session.
    Column("id_hash", String(64), primary_key=True),
    Column("purpose", String(12), nullable=False),
    Column("principal_kind", String(12), nullable=False),
    Column("engineer", String(200)),
    Column("repo", String(200)),
    Column("read_only", Boolean, nullable=False),
    Column("token_id", String(40)),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("expires_at", UtcTimestamp, nullable=False),
    Index("ix_dashboard_sessions_expires", "expires_at"),
)
"""Dashboard logins (SPEC §12): browser sessions, and one-time login codes (`purpose`)."""

adherence_commits = Table(
    "adherence_commits",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("sha", String(64), primary_key=True),
    Column("engineer", String(200), nullable=False),
    Column("source", String(20), nullable=False),
    Column("files", Integer, nullable=False),
    Column("covered", Integer, nullable=False),
    Column("trailers", Boolean, nullable=False),
    Column("first_at", UtcTimestamp, nullable=False),
    Column("last_at", UtcTimestamp, nullable=False),
    Index("ix_adherence_commits_first", "first_at"),
)
"""Pushed commits as the push and CI checks judged them (SPEC §16): one row per commit, the
newest report's figures, counted in the window of its first report (when it was pushed)."""

adherence_edits = Table(
    "adherence_edits",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("engineer", String(200), primary_key=True),
    Column("source", String(20), primary_key=True),
    # A path may be 4096 characters, past what a PostgreSQL index entry holds: keyed by hash.
    Column("path_hash", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    Column("first_at", UtcTimestamp, nullable=False),
    Column("last_at", UtcTimestamp, nullable=False),
    Index("ix_adherence_edits_last", "last_at"),
)
"""Files found edited without a claim, once per engineer, source and path; `last_at` is when a
check last saw it."""

adherence_alerts = Table(
    "adherence_alerts",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("covered_share", Float, nullable=False),
    Column("at", UtcTimestamp, nullable=False),
)
"""Repos below `COORD_ADHERENCE_ALERT` whose `adherence_low` has fired: a row while below, so
the event fires once per fall and again only after the share has recovered."""
