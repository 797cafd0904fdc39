"""`idempotency_keys`: the first answer to a request, by (principal, route, key) (SPEC §10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction

Signal = Callable[[Transaction], None]
"""Adds the message for the other replicas to the transaction."""


class IdempotencyRows:
    """A key is taken (its answer pending) before the first request runs, on any replica."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> Row | None:
        """The stored row of a key: pending (no `status_code`) or answered."""
        table = schema.idempotency_keys
        rows = await self.db.read(select(table).where(table.c.key == key))
        return rows[0] if rows else None

    async def take(self, key: str, request_hash: str, at: datetime) -> bool:
        """Take a key for a first request; False when a row for it exists already."""
        row = {"key": key, "request_hash": request_hash, "created_at": at}
        try:
            async with self.db.transaction() as tx:
                await tx.execute(insert(schema.idempotency_keys).values(**row))
        except IntegrityError:
            return False
        return True

    async def answer(self, key: str, status: int, body: str, signal: Signal) -> None:
        """Store the answer the first request's client received (`signal` tells the replicas)."""
        table = schema.idempotency_keys
        statement = update(table).where(table.c.key == key).values(status_code=status, body=body)
        async with self.db.transaction() as tx:
            await tx.execute(statement)
            signal(tx)

    async def forget(self, key: str, signal: Signal) -> None:
        """Drop a key whose first request gave no answer worth replaying (it may run afresh)."""
        table = schema.idempotency_keys
        async with self.db.transaction() as tx:
            await tx.execute(delete(table).where(table.c.key == key))
            signal(tx)

    async def purge(self, before: datetime) -> None:
        """Forget keys older than `before`."""
        table = schema.idempotency_keys
        async with self.db.transaction() as tx:
            await tx.execute(delete(table).where(table.c.created_at < before))
