"""The webhook outbox: which events get a delivery row, and what operators see of the rows.

Rows are written by `Transaction.insert_events`, in the transaction of the change itself, with
the exact body every attempt will send: a retry repeats the same bytes, the same signature and
the same `X-Coord-Delivery-Id`, so a receiver can drop duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from coord_protocol.outbox import (
    OUTBOX_STATES,
    OutboxCounts,
    OutboxDelivery,
    OutboxEventStats,
    OutboxStats,
)
from coord_protocol.vocab import EventType
from coord_server.service.events import payload_json
from coord_server.service.records import new_id
from coord_server.storage import Row, Store

logger = logging.getLogger("coord.webhooks")

STATS_WINDOW = timedelta(hours=24)
"""The window of `/admin/outbox/stats` and of the dashboard's delivery counts."""


class Outbox:
    """Turns committed events into outbox rows, for the event types the allowlist admits."""

    def __init__(self, allowlist: frozenset[str]) -> None:
        known = {str(event_type) for event_type in EventType}
        unknown = sorted(allowlist - known)
        if unknown:
            logger.warning(
                "COORD_WEBHOOK_EVENTS names unknown event types %s; known: %s",
                ", ".join(unknown), ", ".join(sorted(known)),
            )  # fmt: skip
        self.allowlist = allowlist

    def wants(self, event_type: str) -> bool:
        """Whether events of this type are delivered (an empty allowlist admits all)."""
        return not self.allowlist or event_type in self.allowlist

    def rows_for(self, events: Sequence[Row]) -> list[Row]:
        """Outbox rows for stored events (each with its `id`), due at once."""
        return [_row(event) for event in events if self.wants(event["event_type"])]


def _row(event: Row) -> Row:
    return {
        "delivery_id": new_id("dlv"),
        "event_id": event["id"],
        "event_type": event["event_type"],
        "body": payload_json(event),
        "state": "pending",
        "attempts": 0,
        "created_at": event["at"],
        "next_attempt_at": event["at"],
    }


async def outbox_stats(store: Store, now: datetime, configured: bool) -> OutboxStats:
    """Rows of the last 24 hours per event type and state, and the backlog of any age."""
    since = now - STATS_WINDOW
    per_type: dict[str, dict[str, int]] = {}
    for row in await store.outbox.counts(since):
        per_type.setdefault(row["event_type"], {})[row["state"]] = row["count"]
    by_event = [
        OutboxEventStats(event_type=EventType(event_type), **_known_states(counts))
        for event_type, counts in sorted(per_type.items())
    ]
    totals = {state: sum(getattr(line, state) for line in by_event) for state in OUTBOX_STATES}
    backlog = await store.outbox.backlog()
    return OutboxStats(
        webhook_configured=configured,
        window_hours=int(STATS_WINDOW.total_seconds() // 3600),
        since=since,
        totals=OutboxCounts(**totals),
        by_event=by_event,
        backlog=backlog["count"],
        oldest_waiting_at=backlog["oldest"],
    )


def _known_states(counts: dict[str, int]) -> dict[str, int]:
    return {state: counts.get(state, 0) for state in OUTBOX_STATES}


def delivery(row: Row) -> OutboxDelivery:
    """The operator's view of one outbox row."""
    waiting = row["state"] in {"pending", "failed"}
    return OutboxDelivery(
        delivery_id=row["delivery_id"],
        event_id=row["event_id"],
        event_type=EventType(row["event_type"]),
        state=row["state"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"] if waiting else None,
        last_attempt_at=row["last_attempt_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
    )


class OutboxAdmin:
    """What operators do with the outbox: stats, the newest rows, retries, purges."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime], wake: Callable[[], None] | None
    ) -> None:
        self.store = store
        self.clock = clock
        self.wake = wake
        """Wakes the deliverer (None without a webhook receiver)."""

    async def stats(self) -> OutboxStats:
        """Rows of the last 24 hours per event type and state, and the backlog."""
        return await outbox_stats(self.store, self.clock(), self.wake is not None)

    async def tail(self, limit: int, state: str | None) -> list[OutboxDelivery]:
        """The newest rows, newest first."""
        return [delivery(row) for row in await self.store.outbox.tail(limit, state)]

    async def retry(self, states: Sequence[str], delivery_ids: Sequence[str] | None) -> int:
        """Give failed or exhausted rows a fresh budget, due now; how many were re-armed."""
        rearmed = await self.store.outbox.rearm(states, delivery_ids, self.clock())
        if rearmed and self.wake is not None:
            self.wake()
        return rearmed

    async def purge(self, older_than_days: float, states: Sequence[str]) -> int:
        """Delete finished rows older than the given days; how many went."""
        before = self.clock() - timedelta(days=older_than_days)
        return await self.store.outbox.purge(before, states)
