"""Purging audit rows past their retention (SPEC §14), a small batch per statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, func, select, tuple_

from coord_server.storage import schema
from coord_server.storage._database import Database

RETAINED = (
    "events",
    "blocked_attempts",
    "webhook_outbox",
    "queue_entries",
    "request_events",
    "inbox_notices",
    "shared_contention",
    "adherence_commits",
    "adherence_edits",
)
"""Tables whose old rows the retention task purges."""


ADHERENCE = frozenset({"adherence_commits", "adherence_edits"})
"""Adherence figures: a commit goes once no check has reported it within the retention, an
undeclared edit once no check has seen it."""


class RetainedRows:
    """Old rows of the audit tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def purge(self, kind: str, before: datetime, limit: int) -> int:
        """Delete up to `limit` rows of a retained table older than `before`."""
        if kind in ADHERENCE:
            return await self._purge_adherence(kind, before, limit)
        table, key, condition = _retained(kind, before)
        doomed = select(key).where(condition).limit(limit)
        async with self.db.transaction() as tx:
            return (await tx.execute(delete(table).where(key.in_(doomed)))).rowcount

    async def _purge_adherence(self, kind: str, before: datetime, limit: int) -> int:
        # Keyed by several columns: the batch is chosen by its whole key (a row value).
        table: Table = getattr(schema, kind)
        key = list(table.primary_key)
        doomed = select(*key).where(table.c.last_at < before).limit(limit)
        async with self.db.transaction() as tx:
            return (await tx.execute(delete(table).where(tuple_(*key).in_(doomed)))).rowcount


def _retained(kind: str, before: datetime) -> tuple[Table, Any, ColumnElement[bool]]:
    """The table, its key column and the condition selecting its purgeable rows."""
    if kind == "events":
        events = schema.events
        newest = select(func.max(events.c.id)).scalar_subquery()
        # The newest event always stays: SQLite would otherwise hand out its id again, and a
        # live-stream client resuming from it would skip the events that reuse the ids.
        return events, events.c.id, and_(events.c.at < before, events.c.id < newest)
    if kind == "blocked_attempts":
        blocked = schema.blocked_attempts
        return blocked, blocked.c.id, blocked.c.at < before
    if kind == "webhook_outbox":
        outbox = schema.webhook_outbox
        finished = outbox.c.state.in_(("delivered", "exhausted"))
        return outbox, outbox.c.id, and_(finished, outbox.c.created_at < before)
    if kind == "queue_entries":
        queue = schema.queue_entries
        ended = and_(queue.c.state != "waiting", queue.c.finished_at < before)
        return queue, queue.c.queue_id, ended
    if kind in {"request_events", "inbox_notices", "shared_contention"}:
        timeline: Table = getattr(schema, kind)
        return timeline, timeline.c.id, timeline.c.at < before
    raise ValueError(f"no retention rule for table {kind!r}; known: {', '.join(RETAINED)}")
