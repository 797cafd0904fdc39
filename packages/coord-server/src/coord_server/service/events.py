"""Events: rows for the durable log, written in the same transaction as the change they record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from coord_protocol.timestamps import format_utc
from coord_protocol.vocab import EventType
from coord_server.service.records import ClaimRecord

if TYPE_CHECKING:
    from coord_server.service.arbiter import Unit
from coord_server.storage import Store, repo_key


@dataclass(slots=True)
class EventBatch:
    """Events produced by one operation, stored together with it."""

    at: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, event_type: EventType, repo: str | None, engineer: str | None, **detail: Any
    ) -> None:
        """Record one event."""
        self.rows.append(
            {
                "event_type": str(event_type),
                "at": self.at,
                "repo": repo_key(repo),
                "engineer": engineer,
                "detail": detail,
            }
        )

    def claim(self, event_type: EventType, record: ClaimRecord, **detail: Any) -> None:
        """Record an event about one claim, with the facts every consumer needs."""
        self.add(
            event_type,
            record.repo,
            record.engineer,
            claim_id=record.id,
            pattern=record.pattern,
            symbols=list(record.symbols) if record.symbols is not None else None,
            session_id=record.session_id,
            fence=record.fence,
            **detail,
        )


def event_payload(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored event as webhooks and the live stream carry it (`WebhookPayload`).

    `detail` starts with the event's `repo` (null for the no-repo bucket) and `engineer`, so a
    receiver can route it without knowing which event types name them.
    """
    detail = {"repo": row["repo"] or None, "engineer": row["engineer"], **row["detail"]}
    return {"event_type": row["event_type"], "timestamp": format_utc(row["at"]), "detail": detail}


def payload_json(row: Mapping[str, Any]) -> str:
    """`event_payload` as compact JSON text: the exact bytes a webhook signs and sends."""
    return json.dumps(event_payload(row), separators=(",", ":"), ensure_ascii=False)


class EventLog:
    """A step before the commit: the unit's events go to the log (and the webhook outbox)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def write(self, unit: Unit) -> None:
        """Store the events the unit collected, in its transaction."""
        await self.store.events.insert(unit.tx, unit.events.rows)
