"""`ownership_documents`: every revision of owners.yaml; the newest is in force (SPEC §8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction


class OwnershipRows:
    """Revisions of owners.yaml, numbered by their row id."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Transaction, text: str, source: str, at: datetime) -> None:
        """Store a new revision (it is in force once the transaction commits)."""
        table = schema.ownership_documents
        await tx.execute(insert(table).values(text=text, source=source, at=at))

    async def newest(self) -> Row | None:
        """The revision in force, if any was stored."""
        table = schema.ownership_documents
        rows = await self.db.read(select(table).order_by(table.c.id.desc()).limit(1))
        return rows[0] if rows else None

    async def newest_id_in(self, tx: Transaction) -> int:
        """Id of the revision in force, read inside a transaction (0 when none)."""
        table = schema.ownership_documents
        rows = await tx.rows(select(func.max(table.c.id).label("id")))
        return int(rows[0]["id"] or 0)
