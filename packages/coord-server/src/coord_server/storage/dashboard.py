"""`dashboard_sessions`: browser sessions and one-time login codes, by the hash of their id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row


class DashboardSessionRows:
    """Rows of `dashboard_sessions`; the random ids themselves never reach this family."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, row: Row) -> None:
        """Store a new session or login code (and drop the expired ones)."""
        table = schema.dashboard_sessions
        async with self.db.transaction() as tx:
            await tx.execute(delete(table).where(table.c.expires_at <= row["created_at"]))
            await tx.execute(insert(table).values(**row))

    async def get(self, id_hash: str, purpose: str, now: datetime) -> Row | None:
        """The unexpired row of `purpose` whose id hashes to `id_hash`."""
        table = schema.dashboard_sessions
        rows = await self.db.read(
            select(table).where(
                table.c.id_hash == id_hash, table.c.purpose == purpose, table.c.expires_at > now
            )
        )
        return rows[0] if rows else None

    async def take(self, id_hash: str, purpose: str, now: datetime) -> Row | None:
        """Delete and return the unexpired row: whoever deletes it first is the one who used it."""
        found = await self.get(id_hash, purpose, now)
        if found is None:
            return None
        return found if await self.remove(id_hash) else None

    async def remove(self, id_hash: str) -> bool:
        """Delete one row; False when it was gone already."""
        table = schema.dashboard_sessions
        async with self.db.transaction() as tx:
            result = await tx.execute(delete(table).where(table.c.id_hash == id_hash))
            return int(result.rowcount or 0) > 0
