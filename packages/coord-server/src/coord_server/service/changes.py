"""What one unit of work changed: read by the steps that run before and after its commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coord_engine.claims import ClaimRequest
from coord_engine.decide import Decision
from coord_protocol.vocab import QueueState
from coord_server.service.records import ClaimRecord


@dataclass(frozen=True, slots=True)
class Granted:
    """Claims one decision granted."""

    request: ClaimRequest
    decision: Decision
    records: list[ClaimRecord]


@dataclass(frozen=True, slots=True)
class Released:
    """Claims that ended together, and why (`released`, `expired`, `idle`)."""

    records: list[ClaimRecord]
    reason: str


@dataclass(frozen=True, slots=True)
class Refused:
    """A claim request refused (answered 409, or parked in the queue)."""

    request: ClaimRequest
    decision: Decision


@dataclass(frozen=True, slots=True)
class WaitEnded:
    """A queue entry left the queue: granted (with its claims), cancelled or expired."""

    queue_id: str
    repo_key: str
    state: QueueState
    records: tuple[ClaimRecord, ...] = ()
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()


@dataclass(slots=True)
class Changes:
    """Everything a unit did, in the order it happened."""

    granted: list[Granted] = field(default_factory=list)
    released: list[Released] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    waits_ended: list[WaitEnded] = field(default_factory=list)
    decided_requests: list[str] = field(default_factory=list)
    """Release requests that left `pending`: their long-polls return."""
    unblocked: set[str] = field(default_factory=set)
    """Repo keys where something stopped blocking: their queues are served after the commit."""
    deadlines: list[datetime] = field(default_factory=list)
    """New or moved expiries: the expiry loop may have to wake earlier."""

    def released_records(self) -> list[ClaimRecord]:
        """Every claim this unit ended."""
        return [record for batch in self.released for record in batch.records]
