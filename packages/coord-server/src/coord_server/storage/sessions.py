"""`sessions`: who first used each session id, and when it was last heard from (SPEC §2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, bindparam, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import UpdateBase

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction


class SessionRows:
    """Session activity, written at most once per flush interval per session and replica."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch(
        self, tx: Transaction, session_id: str, principal: str | None, at: datetime
    ) -> None:
        """Record activity of a session, creating it on first use (never moving it back)."""
        names = ("b_session_id", "last_activity", "b_principal")
        prepared = tx.prepared("touch session", _session_update, names)
        values = {"b_session_id": session_id, "last_activity": at, "b_principal": principal}
        if await tx.run(prepared, values) == 0:
            # A new session, or one another replica already heard from later: the insert
            # creates the first and leaves the second alone.
            row = {"session_id": session_id, "principal": principal, "created_at": at,
                   "last_activity": at}  # fmt: skip
            create = tx.prepared("create session", lambda: _session_insert(self.db), tuple(row))
            await tx.run(create, row)

    async def owner(self, session_id: str) -> tuple[bool, str | None]:
        """Whether the session exists, and the principal that owns it (None: not yet claimed
        by anyone, e.g. only the operator naming no engineer has used it)."""
        table = schema.sessions
        statement = select(table.c.principal).where(table.c.session_id == session_id)
        rows = await self.db.read(statement)
        return (bool(rows), rows[0]["principal"] if rows else None)

    async def last_activity(self, session_ids: list[str]) -> dict[str, datetime]:
        """Last stored activity of the given sessions."""
        table = schema.sessions
        statement = select(table.c.session_id, table.c.last_activity).where(
            table.c.session_id.in_(session_ids)
        )
        return {row["session_id"]: row["last_activity"] for row in await self.db.read(statement)}

    async def idle_claims(self, silent_since: datetime) -> list[Row]:
        """`id`, `repo` and `session_id` of active claims whose session has been silent since
        `silent_since` (or longer)."""
        sessions, claims = schema.sessions, schema.claims
        joined = claims.join(sessions, claims.c.session_id == sessions.c.session_id)
        statement = (
            select(claims.c.id, claims.c.repo, claims.c.session_id)
            .select_from(joined)
            .where(claims.c.released_at.is_(None), sessions.c.last_activity <= silent_since)
        )
        return await self.db.read(statement)

    async def oldest_activity_with_claims(self) -> datetime | None:
        """The earliest last activity among sessions holding active claims."""
        sessions, claims = schema.sessions, schema.claims
        holds = exists().where(
            claims.c.session_id == sessions.c.session_id, claims.c.released_at.is_(None)
        )
        moment: datetime | None = await self.db.scalar(
            select(func.min(sessions.c.last_activity)).where(holds)
        )
        return moment


def _session_insert(db: Database) -> UpdateBase:
    dialect_insert = postgresql_insert if db.backend == "postgresql" else sqlite_insert
    return dialect_insert(schema.sessions).on_conflict_do_nothing(index_elements=["session_id"])


def _session_update() -> UpdateBase:
    table = schema.sessions
    # Never backwards: another replica may have stored a later activity already.
    return (
        update(table)
        .where(
            table.c.session_id == bindparam("b_session_id"),
            table.c.last_activity < bindparam("last_activity"),
        )
        # The first principal to name it owns it; an owner once set never changes.
        .values(
            last_activity=bindparam("last_activity"),
            principal=func.coalesce(table.c.principal, bindparam("b_principal", type_=String)),
        )
    )
