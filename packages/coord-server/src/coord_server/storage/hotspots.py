"""`blocked_attempts` and `shared_contention`: the signals hotspots are ranked by (SPEC §8)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction


class HotspotRows:
    """Refused claim attempts, and shared grants that met other holders."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert_blocked(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Record refused claim attempts (one per conflict)."""
        await tx.insert(schema.blocked_attempts, rows)

    async def insert_contention(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Record shared grants that met other holders."""
        if rows:
            await tx.execute(insert(schema.shared_contention), list(rows))

    async def blocked_since(
        self, since: datetime, repo: str | None = None, patterns: Sequence[str] | None = None
    ) -> list[Row]:
        """Blocked claim attempts after `since` (of one stored repo key, of some patterns)."""
        table = schema.blocked_attempts
        conditions = [table.c.at > since]
        if repo is not None:
            conditions.append(table.c.repo == repo)
        if patterns is not None:
            conditions.append(table.c.pattern.in_(list(patterns)))
        return await self.db.read(select(table).where(*conditions).order_by(table.c.at))

    async def contention_since(self, since: datetime) -> list[Row]:
        """Shared grants that met other holders, after `since`."""
        table = schema.shared_contention
        return await self.db.read(select(table).where(table.c.at > since).order_by(table.c.at))

    async def recent_blocked(self, limit: int, repo: str | None = None) -> list[Row]:
        """The newest blocked claim attempts, newest first (of one stored repo key)."""
        table = schema.blocked_attempts
        query = select(table).order_by(table.c.at.desc(), table.c.id.desc()).limit(limit)
        if repo is not None:
            query = query.where(table.c.repo == repo)
        return await self.db.read(query)

    async def newest_blocked_id(self) -> int:
        """The id of the newest blocked attempt (0 when there is none): it changes exactly
        when an attempt is stored, so a ranking read at one id is current while it holds."""
        table = schema.blocked_attempts
        rows = await self.db.read(select(func.max(table.c.id).label("newest")))
        return int(rows[0]["newest"] or 0)
