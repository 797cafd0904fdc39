"""The `claims` and `repo_state` tables: who holds what, and each repo's version and fence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, literal, select, update
from sqlalchemy.sql.expression import UpdateBase

from coord_server.paging import Cursor, after_cursor
from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction
from coord_server.storage.schema import NO_REPO


def repo_key(repo: str | None) -> str:
    """The stored key of a repo bucket (the no-repo bucket is the empty string)."""
    return repo or NO_REPO


@dataclass(frozen=True, slots=True)
class RepoState:
    """One repo bucket's row of `repo_state`."""

    version: int = 0
    last_fence: int = 0
    grants_served: int = 0
    stored: bool = False
    """False until the bucket's first change creates its row."""


class ClaimRows:
    """Claims, active and released, and the per-repo state every change of them bumps."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes ---------------------------------------------------------------------------

    async def insert(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Insert granted claims (their `row_version` is the transaction's for their repo)."""
        if not rows:
            return
        stamped = [tx.stamped(row) for row in rows]
        await tx.insert(schema.claims, stamped)

    async def release(
        self, tx: Transaction, repo: str, claim_ids: Sequence[str], at: datetime, reason: str
    ) -> None:
        """Mark active claims of one repo bucket released (or expired) at `at`."""
        names = ("b_id", "released_at", "release_reason", "row_version")
        prepared = tx.prepared("release claims", _release_update, names)
        version = tx.version_of(repo)
        rows = [{"b_id": claim_id, "released_at": at, "release_reason": reason,
                 "row_version": version} for claim_id in dict.fromkeys(claim_ids)]  # fmt: skip
        await tx.run_many(prepared, rows)

    async def set_partners(
        self, tx: Transaction, repo: str, partners: Mapping[str, Sequence[str]]
    ) -> None:
        """Store new `coexists_with` lists of claims of one repo bucket (claim id -> list)."""
        names = ("b_id", "coexists_with", "row_version")
        prepared = tx.prepared("set partners", _partners_update, names)
        version = tx.version_of(repo)
        rows = [{"b_id": claim_id, "coexists_with": list(ids), "row_version": version}
                for claim_id, ids in partners.items()]  # fmt: skip
        await tx.run_many(prepared, rows)

    async def update(self, tx: Transaction, repo: str, claim_id: str, **values: Any) -> None:
        """Change columns of one claim of `repo`."""
        table = schema.claims
        values["row_version"] = tx.version_of(repo)
        await tx.execute(update(table).where(table.c.id == claim_id).values(**values))

    # -- reads inside a transaction (the repo is locked) ----------------------------------

    async def active_in(self, tx: Transaction, repo: str) -> list[Row]:
        """Every active claim of one repo bucket, oldest first."""
        table = schema.claims
        condition = and_(table.c.released_at.is_(None), table.c.repo == repo)
        return await tx.rows(select(table).where(condition).order_by(table.c.created_at))

    async def changed_in(self, tx: Transaction, repo: str, since_version: int) -> list[Row]:
        """Claims of one repo bucket changed after `since_version`, active or not."""
        table = schema.claims
        condition = and_(table.c.repo == repo, table.c.row_version > since_version)
        return await tx.rows(select(table).where(condition))

    # -- reads ----------------------------------------------------------------------------

    async def get(self, claim_id: str) -> Row | None:
        """One claim, active or not."""
        rows = await self.db.read(select(schema.claims).where(schema.claims.c.id == claim_id))
        return rows[0] if rows else None

    async def by_ids(self, claim_ids: Sequence[str]) -> list[Row]:
        """The named claims, active or not, in the order named."""
        table = schema.claims
        rows = await self.db.read(select(table).where(table.c.id.in_(list(claim_ids))))
        found = {row["id"]: row for row in rows}
        return [found[claim_id] for claim_id in claim_ids if claim_id in found]

    async def active_of_session(self, session_id: str) -> list[Row]:
        """Active claims of one session, in every repo, oldest first."""
        table = schema.claims
        condition = and_(table.c.released_at.is_(None), table.c.session_id == session_id)
        return await self.db.read(select(table).where(condition).order_by(table.c.created_at))

    async def history(
        self,
        filters: Mapping[str, str | None],
        module: str | None,
        cursor: Cursor | None,
        limit: int,
    ) -> tuple[list[Row], int]:
        """One page of claims including released ones, newest first, filtered by exact column
        values (and a pattern containing `module`); with how many match in all."""
        table = schema.claims
        conditions = [
            table.c[name] == value for name, value in filters.items() if value is not None
        ]
        if module:
            conditions.append(table.c.pattern.contains(module, autoescape=True))
        matching = and_(True, *conditions)
        total = await self.db.scalar(select(func.count()).select_from(table).where(matching))
        statement = (
            select(table)
            .where(matching, after_cursor(table, cursor))
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .limit(limit)
        )
        return await self.db.read(statement), int(total or 0)

    async def granted_after(self, repo: str, fence: int, limit: int) -> list[Row]:
        """Claims of one repo bucket whose fence is above `fence`, active or not, lowest first
        (fences number a repo's grants in order, so these are the newer grants)."""
        table = schema.claims
        condition = and_(table.c.repo == repo, table.c.fence > fence)
        statement = select(table).where(condition).order_by(table.c.fence).limit(limit)
        return await self.db.read(statement)

    async def held_during(self, repo: str, start: datetime, end: datetime, limit: int) -> list[Row]:
        """Claims of one repo bucket held at some moment of [start, end]: granted by `end`, and
        not released (or expired) by `start`. Oldest first."""
        table = schema.claims
        ended = func.coalesce(table.c.released_at, table.c.expires_at)
        condition = and_(table.c.repo == repo, table.c.created_at <= end, ended > start)
        statement = select(table).where(condition).order_by(table.c.created_at).limit(limit)
        return await self.db.read(statement)

    async def active_repos(self) -> list[str]:
        """Repo keys holding at least one active claim."""
        table = schema.claims
        statement = select(table.c.repo).where(table.c.released_at.is_(None)).distinct()
        return [row["repo"] for row in await self.db.read(statement)]

    async def due(self, now: datetime, limit: int) -> list[Row]:
        """`id` and `repo` of active claims whose expiry is at or before `now`."""
        table = schema.claims
        condition = and_(table.c.released_at.is_(None), table.c.expires_at <= now)
        statement = select(table.c.id, table.c.repo).where(condition).limit(limit)
        return await self.db.read(statement)

    async def next_expiry(self) -> datetime | None:
        """The earliest expiry of an active claim."""
        table = schema.claims
        earliest = select(func.min(table.c.expires_at)).where(table.c.released_at.is_(None))
        moment: datetime | None = await self.db.scalar(earliest)
        return moment

    async def last_activity_by_repo(self) -> dict[str, datetime]:
        """Newest claim creation or release per repo bucket."""
        table = schema.claims
        newest = func.max(func.coalesce(table.c.released_at, table.c.created_at))
        rows = await self.db.read(select(table.c.repo, newest.label("at")).group_by(table.c.repo))
        return {row["repo"]: row["at"] for row in rows}


class RepoStateRows:
    """`repo_state`: read under the repo's lock, written once per change."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def read_in(self, tx: Transaction, repo: str) -> tuple[RepoState, int]:
        """The stored state of one repo bucket (all zero before its first change), and the
        owners.yaml revision in force (0 when none): one query, under the repo's lock."""
        table, documents = schema.repo_state, schema.ownership_documents
        revision = select(func.max(documents.c.id)).scalar_subquery().label("owners_revision")
        one = select(literal(1).label("one")).subquery()
        statement = select(
            revision, table.c.version, table.c.last_fence, table.c.grants_served
        ).select_from(one.outerjoin(table, table.c.repo == repo))
        row = (await tx.rows(statement))[0]
        state = RepoState() if row["version"] is None else _state(row)
        return state, int(row["owners_revision"] or 0)

    async def versions(self) -> dict[str, int]:
        """The version of every repo bucket that has changed at least once."""
        table = schema.repo_state
        rows = await self.db.read(select(table.c.repo, table.c.version))
        return {row["repo"]: row["version"] for row in rows}

    async def save(self, tx: Transaction, repo: str, state: RepoState) -> None:
        """Store a repo bucket's new state (creating its row on its first change)."""
        values = {"version": state.version, "last_fence": state.last_fence,
                  "grants_served": state.grants_served}  # fmt: skip
        if state.stored:
            names = ("b_repo", *values)
            prepared = tx.prepared("save repo_state", _state_update, names)
            await tx.run(prepared, {"b_repo": repo, **values})
            return
        await tx.insert(schema.repo_state, [{"repo": repo, **values}])


def _state(row: Row) -> RepoState:
    return RepoState(row["version"], row["last_fence"], row["grants_served"], stored=True)


def _release_update() -> UpdateBase:
    table = schema.claims
    # One id per execution (executemany) rather than `IN (...)`: one statement for any count.
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.released_at.is_(None))
        .values(
            released_at=bindparam("released_at"),
            release_reason=bindparam("release_reason"),
            row_version=bindparam("row_version"),
        )
    )


def _partners_update() -> UpdateBase:
    table = schema.claims
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(coexists_with=bindparam("coexists_with"), row_version=bindparam("row_version"))
    )


def _state_update() -> UpdateBase:
    table = schema.repo_state
    return (
        update(table)
        .where(table.c.repo == bindparam("b_repo"))
        .values(
            version=bindparam("version"),
            last_fence=bindparam("last_fence"),
            grants_served=bindparam("grants_served"),
        )
    )
