"""Claims already held: finding, listing, releasing and extending them (SPEC §10).

A claim id says nothing of its repo, so each call first finds it: in this replica's views, or in
the database (a claim granted on another replica, or already ended). Every change then happens
in a unit holding that repo, against the view as it is there and then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth.principal import Actor
from coord_server.paging import Cursor, Page, page_of
from coord_server.service.arbiter import Arbiter
from coord_server.service.claims import ClaimBook
from coord_server.service.records import ClaimRecord
from coord_server.storage import Store


class Holdings:
    """Operations on claims by id, by session, and listings."""

    def __init__(self, store: Store, arbiter: Arbiter, book: ClaimBook) -> None:
        self.store = store
        self.arbiter = arbiter
        self.book = book

    async def locate(self, claim_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """repo key -> {id: holder} of the given ids active there (as far as this replica or
        the database knows)."""
        wanted = list(dict.fromkeys(claim_ids))
        found: dict[str, dict[str, str]] = {}
        missing = []
        for claim_id in wanted:
            view = next((v for v in self.arbiter.views.values() if claim_id in v.claims), None)
            if view is None:
                missing.append(claim_id)
            else:
                record = view.claims[claim_id]
                found.setdefault(record.repo or "", {})[claim_id] = record.engineer
        if missing and self.store.backend != "sqlite":  # on SQLite the views hold every claim
            for row in await self.store.claims.by_ids(missing):
                if row["released_at"] is None:
                    found.setdefault(row["repo"], {})[row["id"]] = row["engineer"]
        return found

    async def release_ids(self, claim_ids: Iterable[str], actor: Actor) -> list[str]:
        """Release the named active claims; 403 before releasing any when one is not the
        actor's (a holder never changes, so checking ahead of the units is safe)."""
        located = sorted((await self.locate(claim_ids)).items())
        for key, holders in located:
            for claim_id, engineer in holders.items():
                actor.check(f"claim {claim_id}", engineer, key or None)
        released: list[str] = []
        for key, holders in located:
            async with self.arbiter.hold([key or None]) as unit:
                view = unit.view(key or None)
                records = [view.claims[i] for i in holders if i in view.claims]
                released += [r.id for r in await self.book.release(unit, records, "released")]
        return released

    async def release_one(self, claim_id: str, actor: Actor) -> list[str]:
        """Release one claim; 404 when it never existed, 403 when it is someone else's."""
        located = await self.locate([claim_id])
        if not located:
            if await self.store.claims.get(claim_id) is None:
                raise CoordError(ErrorCode.NOT_FOUND, f"no claim {claim_id!r} exists.")
            return []  # already released or expired: releasing again changes nothing
        (key,) = located
        async with self.arbiter.hold([key or None]) as unit:
            record = unit.view(key or None).claims.get(claim_id)
            if record is None:
                return []
            actor.check(f"claim {claim_id}", record.engineer, record.repo)
            return [r.id for r in await self.book.release(unit, [record], "released")]

    async def release_session(self, session_id: str, repo: str | None) -> list[str]:
        """Release a session's claims (in one repo bucket when `repo` is given)."""
        rows = await self.store.claims.active_of_session(session_id)
        keys = {row["repo"] for row in rows} | {
            key for key, view in self.arbiter.views.items() if view.of_session(session_id)
        }
        if repo is not None:
            keys &= {repo or ""}
        released: list[str] = []
        for key in sorted(keys):
            async with self.arbiter.hold([key or None]) as unit:
                records = unit.view(key or None).of_session(session_id)
                released += [r.id for r in await self.book.release(unit, records, "released")]
        return released

    async def extend(self, claim_id: str, actor: Actor, ttl_hours: float) -> ClaimRecord:
        """Give an active claim a new expiry `ttl_hours` from now (counts as activity)."""
        located = await self.locate([claim_id])
        for key in located:
            async with self.arbiter.hold([key or None]) as unit:
                record = unit.view(key or None).claims.get(claim_id)
                if record is not None:
                    actor.check(f"claim {claim_id}", record.engineer, record.repo)
                    await self.book.extend(unit, record, unit.now + timedelta(hours=ttl_hours))
                    return record
        raise CoordError(
            ErrorCode.NOT_FOUND,
            f"no active claim {claim_id!r}; list yours with GET /claims?engineer=... and claim "
            "again if it expired.",
        )

    async def active(
        self,
        filters: Mapping[str, str | None],
        module: str | None,
        cursor: Cursor | None,
        limit: int,
    ) -> Page[ClaimRecord]:
        """A page of active claims matching exact `filters` (engineer, repo, session_id),
        newest first."""
        views = await self.arbiter.all_current()

        def keep(record: ClaimRecord) -> bool:
            return all(
                value is None or getattr(record, name) == value for name, value in filters.items()
            ) and (module is None or module in record.pattern)

        found = [record for view in views for record in view.records() if keep(record)]
        return page_of(found, claim_key, cursor, limit)

    async def history(
        self,
        filters: Mapping[str, str | None],
        module: str | None,
        cursor: Cursor | None,
        limit: int,
    ) -> Page[ClaimRecord]:
        """A page of claims including ended ones, newest first."""
        rows, total = await self.store.claims.history(filters, module, cursor, limit + 1)
        records = [ClaimRecord.from_row(row) for row in rows]
        shown = records[:limit]
        more = len(records) > limit and bool(shown)
        return Page(shown, total, claim_key(shown[-1]).encode() if more else None)


def claim_key(record: ClaimRecord) -> Cursor:
    """Where a claim sorts in a newest-first list."""
    return Cursor(record.created_at, record.id)
