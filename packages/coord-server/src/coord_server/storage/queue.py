"""The `queue_entries` table: claim requests waiting for their scope (SPEC §6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, insert, select, update

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction

WAITING = "waiting"


class QueueRows:
    """Waiting entries, written under their repo's lock; finished ones kept for the record."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Transaction, row: Row) -> None:
        """Park a waiting claim request."""
        await tx.execute(insert(schema.queue_entries).values(**tx.stamped(row)))

    async def finish(
        self,
        tx: Transaction,
        repo: str,
        queue_ids: Sequence[str],
        state: str,
        at: datetime,
        granted: Sequence[str] = (),
        outcome: dict[str, list[str]] | None = None,
    ) -> None:
        """Close waiting entries as granted (with the grant's warnings and notices), cancelled
        or expired."""
        table = schema.queue_entries
        values = {"state": state, "finished_at": at, "granted_claim_ids": list(granted),
                  "outcome": outcome, "row_version": tx.version_of(repo)}  # fmt: skip
        condition = and_(table.c.queue_id.in_(list(queue_ids)), table.c.state == WAITING)
        await tx.execute(update(table).where(condition).values(**values))

    async def waiting_in(self, tx: Transaction, repo: str) -> list[Row]:
        """Every waiting entry of one repo bucket."""
        table = schema.queue_entries
        condition = and_(table.c.repo == repo, table.c.state == WAITING)
        return await tx.rows(select(table).where(condition))

    async def changed_in(self, tx: Transaction, repo: str, since_version: int) -> list[Row]:
        """Entries of one repo bucket changed after `since_version`."""
        table = schema.queue_entries
        condition = and_(table.c.repo == repo, table.c.row_version > since_version)
        return await tx.rows(select(table).where(condition))

    async def get(self, queue_id: str) -> Row | None:
        """One entry, waiting or finished."""
        table = schema.queue_entries
        rows = await self.db.read(select(table).where(table.c.queue_id == queue_id))
        return rows[0] if rows else None

    async def waiting_count(self, engineer: str | None = None) -> int:
        """Waiting entries in every repo (of one engineer when given)."""
        table = schema.queue_entries
        statement = select(func.count()).where(table.c.state == WAITING)
        if engineer is not None:
            statement = statement.where(table.c.engineer == engineer)
        count: int = await self.db.scalar(statement)
        return count

    async def waiting_repos(self) -> list[str]:
        """Repo keys with waiting entries."""
        table = schema.queue_entries
        statement = select(table.c.repo).where(table.c.state == WAITING).distinct()
        return [row["repo"] for row in await self.db.read(statement)]

    async def waiting_with_replicas(self) -> list[Row]:
        """`queue_id`, `repo` and `replica` of every waiting entry (read at one moment, so an
        entry parked later is never taken for one whose replica was looked at)."""
        table = schema.queue_entries
        statement = select(table.c.queue_id, table.c.repo, table.c.replica)
        return await self.db.read(statement.where(table.c.state == WAITING))
