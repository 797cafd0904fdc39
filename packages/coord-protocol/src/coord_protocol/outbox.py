"""The webhook outbox as operators see it: `/admin/outbox` stats, tail, retry, purge (SPEC §9)."""

from typing import Literal

from pydantic import Field

from coord_protocol._base import RequestModel, UtcDatetime, WireModel
from coord_protocol.vocab import EventType

OutboxState = Literal["pending", "failed", "delivered", "exhausted"]
"""Where a delivery stands: `pending` (not tried yet), `failed` (tried, will be retried),
`delivered` (the receiver answered 2xx), `exhausted` (every attempt failed; retry by hand)."""

OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "failed", "delivered", "exhausted")
"""Every state, in the order a delivery moves through them."""

RetryableState = Literal["failed", "exhausted"]
"""States `POST /admin/outbox/retry` can re-arm."""

FinishedState = Literal["delivered", "exhausted"]
"""States `POST /admin/outbox/purge` can delete."""


def _retryable() -> list[RetryableState]:
    return ["failed", "exhausted"]


def _finished() -> list[FinishedState]:
    return ["delivered", "exhausted"]


class OutboxCounts(WireModel):
    """Deliveries per state."""

    delivered: int = 0
    """Answered 2xx."""
    failed: int = 0
    """Tried and failed; another attempt is scheduled."""
    pending: int = 0
    """Not tried yet."""
    exhausted: int = 0
    """Gave up after `COORD_WEBHOOK_MAX_RETRIES` attempts."""


class OutboxEventStats(OutboxCounts):
    """Deliveries of one event type per state."""

    event_type: EventType
    """The event type counted."""


class OutboxStats(WireModel):
    """Answer of `GET /admin/outbox/stats`: delivery counts of the last 24 hours."""

    webhook_configured: bool
    """Whether `COORD_WEBHOOK_URL` is set (without it no new rows are written)."""
    window_hours: int = 24
    """Rows created within this many hours are counted."""
    since: UtcDatetime
    """Start of the window."""
    totals: OutboxCounts
    """Every event type together."""
    by_event: list[OutboxEventStats] = Field(default_factory=list)
    """One line per event type that has rows in the window."""
    backlog: int = 0
    """Rows waiting for an attempt (pending or failed), whatever their age."""
    oldest_waiting_at: UtcDatetime | None = None
    """Creation time of the oldest row still waiting, if any."""


class OutboxDelivery(WireModel):
    """One outbox row: one event on its way to the receiver."""

    delivery_id: str
    """Sent as `X-Coord-Delivery-Id`; the same on every attempt."""
    event_id: int
    """Id of the event in the durable log (the `id:` of the live stream)."""
    event_type: EventType
    """What happened."""
    state: OutboxState
    """Where the delivery stands."""
    attempts: int
    """Attempts made so far."""
    created_at: UtcDatetime
    """When the event was written."""
    next_attempt_at: UtcDatetime | None = None
    """When the next attempt is due (pending and failed rows)."""
    last_attempt_at: UtcDatetime | None = None
    """When the last attempt was made."""
    last_status: int | None = None
    """HTTP status of the last answer (none after a network error)."""
    last_error: str | None = None
    """What went wrong on the last attempt."""
    delivered_at: UtcDatetime | None = None
    """When the receiver accepted it."""


class OutboxTail(WireModel):
    """Answer of `GET /admin/outbox/tail`: the newest rows first."""

    deliveries: list[OutboxDelivery]
    """The rows."""
    count: int
    """Number listed."""


class OutboxRetryRequest(RequestModel):
    """Body of `POST /admin/outbox/retry`: re-arm deliveries for an immediate new attempt."""

    delivery_ids: list[str] | None = Field(default=None, max_length=10_000)
    """Only these deliveries; every matching row when absent."""
    states: list[RetryableState] = Field(default_factory=_retryable, min_length=1)
    """Which rows are re-armed; pending and delivered rows are never touched."""


class OutboxRetryResponse(WireModel):
    """Answer of `POST /admin/outbox/retry`."""

    rearmed: int
    """Rows set back to pending with a fresh attempt budget."""


class OutboxPurgeRequest(RequestModel):
    """Body of `POST /admin/outbox/purge`: delete finished rows older than a number of days."""

    older_than_days: float = Field(default=7, ge=0, le=3650, allow_inf_nan=False)
    """Rows created more than this many days ago are deleted (0: every finished row)."""
    states: list[FinishedState] = Field(default_factory=_finished, min_length=1)
    """Which finished rows go; rows still waiting for delivery are never purged."""


class OutboxPurgeResponse(WireModel):
    """Answer of `POST /admin/outbox/purge`."""

    purged: int
    """Rows deleted."""
