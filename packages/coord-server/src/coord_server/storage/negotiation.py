"""Release requests, their audit timelines and the holders' inbox notices (SPEC §7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.expression import UpdateBase

from coord_server.paging import Cursor, after_cursor
from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction

PENDING = "pending"


class RequestRows:
    """`release_requests` (versioned with their repo) and `request_events`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Transaction, row: Row) -> None:
        """File a release request."""
        await tx.execute(insert(schema.release_requests).values(**tx.stamped(row)))

    async def update(self, tx: Transaction, repo: str, request_id: str, **values: Any) -> None:
        """Change columns of one release request of `repo`."""
        table = schema.release_requests
        values["row_version"] = tx.version_of(repo)
        await tx.execute(update(table).where(table.c.id == request_id).values(**values))

    async def note(self, tx: Transaction, request_id: str, **values: Any) -> None:
        """Change columns no view mirrors (such as `notified_at`), keeping the row's version."""
        table = schema.release_requests
        await tx.execute(update(table).where(table.c.id == request_id).values(**values))

    async def pending_for(self, claim_ids: Sequence[str]) -> list[Row]:
        """Pending requests against the given claims, newest first."""
        table = schema.release_requests
        condition = and_(table.c.claim_id.in_(list(claim_ids)), table.c.state == PENDING)
        statement = select(table).where(condition)
        return await self.db.read(statement.order_by(table.c.created_at.desc(), table.c.id))

    async def insert_steps(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Append steps to release requests' audit timelines."""
        if rows:
            await tx.execute(insert(schema.request_events), list(rows))

    async def pending_in(self, tx: Transaction, repo: str) -> list[Row]:
        """Pending requests of one repo bucket (read under its lock)."""
        table = schema.release_requests
        condition = and_(table.c.repo == repo, table.c.state == PENDING)
        return await tx.rows(select(table).where(condition))

    async def changed_in(self, tx: Transaction, repo: str, since_version: int) -> list[Row]:
        """Requests of one repo bucket changed after `since_version`."""
        table = schema.release_requests
        condition = and_(table.c.repo == repo, table.c.row_version > since_version)
        return await tx.rows(select(table).where(condition))

    async def get_in(self, tx: Transaction, request_id: str) -> Row | None:
        """One release request, read inside a transaction."""
        table = schema.release_requests
        rows = await tx.rows(select(table).where(table.c.id == request_id))
        return rows[0] if rows else None

    async def get(self, request_id: str) -> Row | None:
        """One release request."""
        table = schema.release_requests
        rows = await self.db.read(select(table).where(table.c.id == request_id))
        return rows[0] if rows else None

    async def listing(
        self,
        filters: Mapping[str, str | None],
        engineer: str | None,
        cursor: Cursor | None,
        limit: int,
    ) -> tuple[list[Row], int]:
        """A page of release requests, newest first, by exact column values (`engineer` on
        either side); with how many match in all."""
        table = schema.release_requests
        conditions = [
            table.c[name] == value for name, value in filters.items() if value is not None
        ]
        if engineer is not None:
            conditions.append((table.c.requester == engineer) | (table.c.holder == engineer))
        matching = and_(True, *conditions)
        total = await self.db.scalar(select(func.count()).select_from(table).where(matching))
        statement = select(table).where(matching, after_cursor(table, cursor))
        ordered = statement.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return await self.db.read(ordered), int(total or 0)

    async def by_ids(self, request_ids: Sequence[str]) -> list[Row]:
        """The named release requests, newest first."""
        table = schema.release_requests
        statement = select(table).where(table.c.id.in_(list(request_ids)))
        return await self.db.read(statement.order_by(table.c.created_at.desc(), table.c.id))

    async def steps(self, request_id: str) -> list[Row]:
        """The audit timeline of one release request, oldest first."""
        table = schema.request_events
        statement = select(table).where(table.c.request_id == request_id)
        return await self.db.read(statement.order_by(table.c.id))


class InboxRows:
    """`inbox_notices`: refusals caused by a claim, and auto-narrowings of it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def bump(
        self, tx: Transaction, claim_id: str, kind: str, other_engineer: str, **values: Any
    ) -> bool:
        """Count one more occurrence of a notice; False when there is none to count yet."""
        names = tuple(values)
        prepared = tx.prepared(("bump inbox", *names), lambda: _notice_bump(names),
                               (*_NOTICE, *names))  # fmt: skip
        params = {"b_claim_id": claim_id, "b_kind": kind, "b_other_engineer": other_engineer}
        return await tx.run(prepared, {**params, **values}) > 0

    async def insert(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Add holder inbox notices."""
        await tx.insert(schema.inbox_notices, rows)

    async def about(self, claim_ids: Sequence[str], since: datetime | None) -> list[Row]:
        """Notices about the given claims (changed after `since`), newest first."""
        table = schema.inbox_notices
        conditions: list[ColumnElement[bool]] = [table.c.claim_id.in_(list(claim_ids))]
        if since is not None:
            conditions.append(table.c.at > since)
        statement = select(table).where(*conditions)
        return await self.db.read(statement.order_by(table.c.at.desc(), table.c.id.desc()))


_NOTICE = ("b_claim_id", "b_kind", "b_other_engineer")
"""Parameters naming one inbox notice, in `_notice_bump`."""


def _notice_bump(names: Sequence[str]) -> UpdateBase:
    table = schema.inbox_notices
    return (
        update(table)
        .where(
            table.c.claim_id == bindparam("b_claim_id"),
            table.c.kind == bindparam("b_kind"),
            table.c.other_engineer == bindparam("b_other_engineer"),
        )
        .values({"count": table.c.count + literal_column("1"), **{n: bindparam(n) for n in names}})
    )
