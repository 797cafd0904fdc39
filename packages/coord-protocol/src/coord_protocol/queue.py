"""Queue entries of waiting claim requests (SPEC §6)."""

from typing import Literal

from pydantic import Field

from coord_protocol._base import UtcDatetime, WireModel
from coord_protocol.vocab import ClaimType, QueueState, Urgency


class QueueEntry(WireModel):
    """A claim request parked behind the claims it conflicts with."""

    kind: Literal["queued"] = "queued"
    """Always `queued`: tells queue rows apart from release requests."""
    queue_id: str
    """Id to cancel with `DELETE /requests/{queue_id}`."""
    repo: str | None = None
    """Repository bucket of the request."""
    blocking_claim_id: str | None = None
    """The first claim still in the way, if any."""
    blocking_engineer: str | None = None
    """Who holds that claim."""
    blocking_pattern: str | None = None
    """What that claim holds."""
    requester_engineer: str
    """Who is waiting."""
    requester_pattern: str
    """First pattern of the waiting request."""
    requester_patterns: list[str] = Field(default_factory=list)
    """Every pattern of the waiting request."""
    claim_type: ClaimType
    """Type of the first item."""
    symbols: list[str] | None = None
    """Symbols of the first item, when symbol-scoped."""
    position: int
    """1-based place among waiters of the same repo, in service order."""
    priority: Urgency
    """Declared urgency."""
    effective_priority: Urgency | None = None
    """Urgency after age boost and decay, as used for ordering now."""
    state: QueueState
    """`waiting`, `granted`, `cancelled` or `expired`."""
    enqueued_at: UtcDatetime
    """When the request started waiting."""
    expires_at: UtcDatetime
    """The waiter's deadline."""
    granted_claim_id: str | None = None
    """Set once granted."""


class QueueList(WireModel):
    """Answer of `GET /requests?queued=true`."""

    requests: list[QueueEntry]
    """Waiting entries in service order."""
    count: int
    """Number of entries."""
    total: int = 0
    """Number that match (the queue is always listed whole)."""
    next_cursor: str | None = None
    """Always null: the queue is never cut into pages."""
    queued: Literal[True] = True
    """Marks this list as the queue view."""


class CancelQueueResponse(WireModel):
    """Answer of `DELETE /requests/{queue_id}`."""

    ok: bool = True
    """The call succeeded."""
    cancelled: bool
    """False when the entry had already left the queue."""
    queue_id: str
    """The entry."""
