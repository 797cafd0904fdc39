"""The durable event log and the webhook outbox written beside it (SPEC §9)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction

OutboxBuilder = Callable[[Sequence[Row]], list[Row]]
"""Outbox rows for freshly stored events (each with its `id`)."""

WAITING_DELIVERY = ("pending", "failed")
"""Outbox states that still expect an attempt."""


class EventRows:
    """The event log; with webhooks configured, each event's outbox row in the same write."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.outbox_rows: OutboxBuilder | None = None
        """Set when a webhook receiver is configured."""

    async def insert(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Append to the log (the stored rows, with ids, join `tx.events`), and to the outbox.

        Both land in this transaction: an event is never delivered for a change that rolled
        back, and never lost for one that committed.
        """
        if not rows:
            return
        ids = await tx.insert_ids(tx.inserting(schema.events, rows), rows)
        stored = [{**row, "id": event_id} for row, event_id in zip(rows, ids, strict=True)]
        tx.events.extend(stored)
        if self.outbox_rows is not None:
            outbox = self.outbox_rows(stored)
            if outbox:
                await tx.execute(insert(schema.webhook_outbox), outbox)

    async def after(
        self,
        after_id: int,
        limit: int,
        upto: int | None = None,
        filters: Collection[Any] = (),
    ) -> list[Row]:
        """Events with an id above `after_id` (and at most `upto`), oldest first."""
        table = schema.events
        conditions = [table.c.id > after_id, *filters]
        if upto is not None:
            conditions.append(table.c.id <= upto)
        statement = select(table).where(*conditions).order_by(table.c.id).limit(limit)
        return await self.db.read(statement)

    async def by_ids(self, ids: Collection[int]) -> list[Row]:
        """The named events that exist (committed), oldest first."""
        table = schema.events
        statement = select(table).where(table.c.id.in_(sorted(ids))).order_by(table.c.id)
        return await self.db.read(statement)

    async def last_id(self) -> int:
        """Id of the newest event (0 when the log is empty)."""
        newest: int | None = await self.db.scalar(select(func.max(schema.events.c.id)))
        return newest or 0

    async def since(
        self, types: Sequence[str], since: datetime, repo: str | None = None
    ) -> list[Row]:
        """Events of the given types at or after `since` (of one stored repo key), oldest first."""
        table = schema.events
        conditions = [table.c.event_type.in_(list(types)), table.c.at >= since]
        if repo is not None:
            conditions.append(table.c.repo == repo)
        return await self.db.read(select(table).where(*conditions).order_by(table.c.id))


def event_filters(
    repo: str | None, engineer: str | None, types: frozenset[str], repos: Collection[str] | None
) -> list[Any]:
    """SQL conditions of a stream's filter (`repos`: the stored repo keys it may see)."""
    table = schema.events
    conditions: list[Any] = []
    if repo is not None:
        conditions.append(table.c.repo == repo)
    if repos is not None:
        conditions.append(table.c.repo.in_(sorted(repos)))
    if engineer is not None:
        conditions.append(table.c.engineer == engineer)
    if types:
        conditions.append(table.c.event_type.in_(sorted(types)))
    return conditions


class OutboxRows:
    """Webhook deliveries: what is due, what happened, and the operators' repairs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, now: datetime, limit: int) -> list[Row]:
        """Rows waiting for an attempt that is due by `now`, longest waiting first."""
        table = schema.webhook_outbox
        statement = (
            select(table)
            .where(table.c.state.in_(WAITING_DELIVERY), table.c.next_attempt_at <= now)
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(limit)
        )
        return await self.db.read(statement)

    async def next_due(self) -> datetime | None:
        """When the earliest waiting row is due, if any waits."""
        table = schema.webhook_outbox
        due = select(func.min(table.c.next_attempt_at)).where(table.c.state.in_(WAITING_DELIVERY))
        moment: datetime | None = await self.db.scalar(due)
        return moment

    async def record(self, row_id: int, **values: Any) -> None:
        """Store the outcome of one delivery attempt."""
        table = schema.webhook_outbox
        async with self.db.transaction() as tx:
            await tx.execute(update(table).where(table.c.id == row_id).values(**values))

    async def counts(self, since: datetime) -> list[Row]:
        """Rows created since `since`, counted per event type and state."""
        table = schema.webhook_outbox
        count = func.count().label("count")
        statement = (
            select(table.c.event_type, table.c.state, count)
            .where(table.c.created_at >= since)
            .group_by(table.c.event_type, table.c.state)
        )
        return await self.db.read(statement)

    async def backlog(self) -> Row:
        """`count` of rows waiting for delivery and `oldest`, the creation time of the oldest."""
        table = schema.webhook_outbox
        statement = select(
            func.count().label("count"), func.min(table.c.created_at).label("oldest")
        ).where(table.c.state.in_(WAITING_DELIVERY))
        return (await self.db.read(statement))[0]

    async def tail(self, limit: int, state: str | None = None) -> list[Row]:
        """The newest rows (in one state when given), newest first."""
        table = schema.webhook_outbox
        statement = select(table).order_by(table.c.id.desc()).limit(limit)
        if state is not None:
            statement = statement.where(table.c.state == state)
        return await self.db.read(statement)

    async def rearm(
        self, states: Sequence[str], delivery_ids: Sequence[str] | None, at: datetime
    ) -> int:
        """Set rows in `states` back to pending, due at `at`, with a fresh attempt budget."""
        table = schema.webhook_outbox
        conditions = [table.c.state.in_(list(states))]
        if delivery_ids is not None:
            conditions.append(table.c.delivery_id.in_(list(delivery_ids)))
        values = {"state": "pending", "attempts": 0, "next_attempt_at": at}
        async with self.db.transaction() as tx:
            result = await tx.execute(update(table).where(*conditions).values(**values))
            return result.rowcount

    async def purge(self, before: datetime, states: Sequence[str]) -> int:
        """Delete rows in `states` created before `before`."""
        table = schema.webhook_outbox
        condition = and_(table.c.state.in_(list(states)), table.c.created_at < before)
        async with self.db.transaction() as tx:
            return (await tx.execute(delete(table).where(condition))).rowcount
