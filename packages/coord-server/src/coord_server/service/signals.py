"""What replicas tell each other after a commit (PostgreSQL LISTEN/NOTIFY; nothing on SQLite).

Each unit that changed something another replica may be waiting for sends one small message in
its own transaction (so it arrives exactly when the change commits): the queue entries it ended,
the release requests it decided, whether it stored events, its earliest new deadline. A replica
that (re)connects to the channel has missed whatever was said meanwhile, so it re-reads
everything it waits on; a message too large for the channel says the same.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from coord_protocol.timestamps import format_utc
from coord_server.service.arbiter import Unit
from coord_server.storage import Transaction

logger = logging.getLogger("coord.signals")

PAYLOAD_LIMIT = 7000
"""Bytes; PostgreSQL refuses a notification payload of 8000 or more."""


@dataclass(slots=True)
class Signal:
    """One message from another replica."""

    queue_ids: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    events: bool = False
    deadline: datetime | None = None
    idempotency_keys: list[str] = field(default_factory=list)
    everything: bool = False
    """Re-read everything (the channel was lost, or a message would have been too large)."""


@dataclass(slots=True)
class Receivers:
    """Who is told what (assembled where the app is built)."""

    queue_ended: Callable[[list[str]], None]
    requests_decided: Callable[[list[str]], None]
    events_stored: Callable[[], None]
    deadline_moved: Callable[[datetime | None], None]
    idempotency_done: Callable[[list[str]], None]
    resync: Callable[[], None]


class Signals:
    """Encodes this replica's messages and hands the others' to the receivers."""

    def __init__(self, replica: str, enabled: bool) -> None:
        self.replica = replica
        self.enabled = enabled
        """False on SQLite: no other replica exists, so nothing is sent."""
        self.receivers: Receivers | None = None

    async def tell(self, unit: Unit) -> None:
        """A step before the commit: what this unit changed that others may wait for."""
        if not self.enabled:
            return
        changes = unit.changes
        signal = Signal(
            queue_ids=[ended.queue_id for ended in changes.waits_ended],
            request_ids=list(changes.decided_requests),
            events=bool(unit.tx.events),
            deadline=min(changes.deadlines, default=None),
        )
        self.send(unit.tx, signal)

    def send(self, tx: Transaction, signal: Signal) -> None:
        """Queue `signal` on `tx` (sent when it commits) unless it says nothing."""
        if not self.enabled:
            return
        if not (signal.queue_ids or signal.request_ids or signal.events or signal.deadline
                or signal.idempotency_keys):  # fmt: skip
            return
        tx.tell_replicas(self._encode(signal))

    def _encode(self, signal: Signal) -> str:
        body = {
            "from": self.replica,
            "q": signal.queue_ids,
            "r": signal.request_ids,
            "e": signal.events,
            "d": format_utc(signal.deadline) if signal.deadline else None,
            "i": signal.idempotency_keys,
        }
        text = json.dumps(body, separators=(",", ":"))
        if len(text.encode()) > PAYLOAD_LIMIT:
            return json.dumps({"from": self.replica, "all": True})
        return text

    def receive(self, payload: str) -> None:
        """A message from the channel ("" when the channel was (re)connected)."""
        receivers = self.receivers
        if receivers is None:
            return
        signal = self._decode(payload)
        if signal is None:
            return
        if signal.everything:
            receivers.resync()
            return
        _call(receivers.queue_ended, signal.queue_ids)
        _call(receivers.requests_decided, signal.request_ids)
        _call(receivers.idempotency_done, signal.idempotency_keys)
        if signal.events:
            receivers.events_stored()
        if signal.deadline is not None:
            receivers.deadline_moved(signal.deadline)

    def _decode(self, payload: str) -> Signal | None:
        if not payload:
            return Signal(everything=True)
        try:
            body = json.loads(payload)
        except ValueError:
            logger.warning("ignored an unreadable replica signal %r", payload[:200])
            return None
        if not isinstance(body, dict) or body.get("from") == self.replica:
            return None  # our own message: this replica acted on it already
        if body.get("all"):
            return Signal(everything=True)
        deadline = body.get("d")
        return Signal(
            queue_ids=list(body.get("q") or []),
            request_ids=list(body.get("r") or []),
            events=bool(body.get("e")),
            deadline=datetime.fromisoformat(deadline) if deadline else None,
            idempotency_keys=list(body.get("i") or []),
        )


def _call(receiver: Callable[[list[str]], None], values: Iterable[str]) -> None:
    listed = list(values)
    if listed:
        receiver(listed)
