"""Release requests (SPEC §7): filed against a claim, answered by its holder, ended on time.

Filing shortens the holder's claim to `COORD_REQUEST_TTL_SHORT_SEC` from now, so a holder who
does not answer cannot sit on the scope: the claim expires and the request ends with it. A
request whose claim goes away (released, expired, idle) ends in the same unit as the release,
a step before its commit: nothing polls. Every step lands in the request's audit timeline, and
`request_filed` / `request_decided` go to the event log with the change.

What each answer does (docs/negotiation.md has the reasoning):
- `approved`: the claim is released and the requester is granted the requested scope (or the
  whole claim) before anyone waiting in the queue is served.
- `denied`: the claim gets its original expiry back.
- `narrowed`: the holder keeps a subset of the pattern (checked exactly), with a new fence; a
  requested scope outside the subset is granted to the requester.
- `coexist`: the requester is granted a claim beside the holder's (a pattern or symbol set),
  checked against everyone else; the two claims list each other in `coexists_with`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from coord_engine.budget import Work
from coord_engine.claims import ClaimItem
from coord_engine.overlap import overlaps
from coord_engine.patterns import normalize_pattern
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.requests import (
    CreateReleaseRequest,
    ReleaseRequest,
    RequestEvent,
    RespondRequest,
)
from coord_protocol.timestamps import format_utc
from coord_protocol.vocab import EventType, RequestDecision
from coord_server.auth.principal import Actor, Principal
from coord_server.paging import Cursor, Page
from coord_server.service import _claim_edits as edits
from coord_server.service import _request_rows as request_rows
from coord_server.service._request_rows import DECIDED, EXPIRED, PENDING, RESOLVED
from coord_server.service.arbiter import Arbiter, Unit
from coord_server.service.changes import Changes
from coord_server.service.claims import ClaimBook
from coord_server.service.convert import engine_errors
from coord_server.service.records import ClaimRecord, new_id
from coord_server.service.view import PendingRequest
from coord_server.storage import Row, Store

ENDED_BY_TIME = frozenset({"expired", "idle"})
"""Release reasons that end a pending request as `expired` (the rest end it as `resolved`)."""


class LongPolls:
    """Callers waiting for requests to be decided, on this replica, up to a cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._events: dict[str, asyncio.Event] = {}
        self._waiting = 0

    async def wait(
        self, request_id: str, seconds: float, still_pending: Callable[[], Awaitable[bool]]
    ) -> None:
        """Return when the request is decided (woken by `wake`), or after `seconds`."""
        self.check_room()
        decided = self._events.setdefault(request_id, asyncio.Event())
        self._waiting += 1
        try:
            if not await still_pending():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await decided.wait()
        finally:
            self._waiting -= 1

    def check_room(self) -> None:
        """Refuse (429) one more long-poll past COORD_MAX_LONG_POLLS."""
        if self._waiting >= self.limit:
            raise CoordError(
                ErrorCode.RATE_LIMITED,
                f"{self._waiting} release-request long-polls are open on this replica, the most "
                f"allowed (COORD_MAX_LONG_POLLS={self.limit}); poll again without wait_seconds, "
                "or retry in a few seconds.",
                cap="COORD_MAX_LONG_POLLS",
                retry_after=5,
            )

    @property
    def waiting(self) -> int:
        """Long-polls open now."""
        return self._waiting

    def wake(self, request_ids: Iterable[str]) -> None:
        """These requests left `pending`: their long-polls return."""
        for request_id in request_ids:
            event = self._events.pop(request_id, None)
            if event is not None:
                event.set()

    def wake_all(self) -> None:
        """Every long-poll looks again (after the replica signals were lost)."""
        self.wake(list(self._events))


class ReleaseRequests:
    """Every release request: filing, answers, on-time endings, listings and long-polls."""

    def __init__(
        self,
        store: Store,
        arbiter: Arbiter,
        book: ClaimBook,
        short_ttl_sec: float,
        polls: LongPolls,
    ) -> None:
        self.store = store
        self.arbiter = arbiter
        self.book = book
        self.short_ttl = timedelta(seconds=short_ttl_sec)
        self.polls = polls

    # -- filing ---------------------------------------------------------------------------

    async def file(self, body: CreateReleaseRequest, requester: str, reader: Principal) -> str:
        """File a request against an active claim and shorten that claim; returns the id."""
        stored = await self.store.claims.get(body.claim_id)
        if stored is None:
            raise CoordError(
                ErrorCode.NOT_FOUND,
                f"no claim {body.claim_id!r} exists; GET /claims lists the active ones.",
            )
        reader.check_repo(stored["repo"], f"claim {body.claim_id}")
        async with self.arbiter.hold([stored["repo"] or None]) as unit:
            record = _target(unit, body.claim_id, requester)
            scope = _requested_scope(body.requested_scope, record)
            return await self._file(unit, body, requester, record, scope)

    async def _file(
        self,
        unit: Unit,
        body: CreateReleaseRequest,
        requester: str,
        record: ClaimRecord,
        scope: str | None,
    ) -> str:
        view = unit.view(record.repo)
        unit.changing(view)
        clamped = min(record.expires_at, unit.now + self.short_ttl)
        request_id = new_id("req")
        row = request_rows.filed_row(request_id, body, requester, record, scope, unit.now)
        row["original_expires_at"] = await self._original_expiry(unit, record)
        detail = request_rows.filed_detail(row, clamped)
        unit.events.add(EventType.REQUEST_FILED, record.repo, requester, **detail)
        await self.store.requests.insert(unit.tx, row)
        step = request_rows.step(request_id, "filed", unit.now, detail)
        await self.store.requests.insert_steps(unit.tx, [step])
        if clamped < record.expires_at:
            await self.book.update(unit, record, expires_at=clamped)
        view.pending[request_id] = PendingRequest(request_id, record.id)
        return request_id

    async def _original_expiry(self, unit: Unit, record: ClaimRecord) -> datetime:
        """The expiry to give back on denial: the one from before the first pending request."""
        view = unit.view(record.repo)
        earlier = [p.request_id for p in view.pending.values() if p.claim_id == record.id]
        if not earlier:
            return record.expires_at
        rows = await self.store.requests.by_ids(earlier)
        originals: list[datetime] = [row["original_expires_at"] for row in rows]
        return max([record.expires_at, *originals])

    # -- answering ------------------------------------------------------------------------

    async def respond(self, request_id: str, body: RespondRequest, actor: Actor) -> ReleaseRequest:
        """The holder's answer; see the module docstring for what each decision does. Only
        the holder's own principal answers (or the operator naming nobody), never a name in
        the body."""
        found = await self._row(request_id)
        actor.check(f"request {request_id} (to holder {found['holder']!r})", found["holder"],
                    found["repo"] or None)  # fmt: skip
        engineer = found["holder"]
        late: CoordError | None = None
        async with self.arbiter.hold([found["repo"] or None]) as unit:
            row = await self.store.requests.get_in(unit.tx, request_id) or found
            record = unit.view(row["repo"] or None).claims.get(row["claim_id"])
            if row["state"] == PENDING and (record is None or record.expires_at <= unit.now):
                row = await self._end_now(unit, row, record)
            if row["state"] != PENDING:
                late = await self._answer_late(unit, row, body, engineer)
            else:
                assert record is not None
                await _ANSWERS[body.decision](self, unit, row, record, body)
        if late is not None:
            raise late
        return await self.get(request_id)

    async def _end_now(self, unit: Unit, row: Row, record: ClaimRecord | None) -> Row:
        """The claim ran out (or went away) a moment ago: end the request before answering."""
        reason: str | None = "expired"
        if record is not None:
            await self.book.release(unit, [record], "expired")
        else:
            claim = await self.store.claims.get(row["claim_id"])
            reason = claim["release_reason"] if claim is not None else None
        state = await self._end(unit, row, reason)
        return {**row, "state": state, "decided_at": unit.now}

    async def _approve(
        self, unit: Unit, row: Row, record: ClaimRecord, body: RespondRequest
    ) -> None:
        await self.book.release(unit, [record], "released")
        scope = row["requested_scope"]
        symbols = record.symbols if scope is None else None
        item = ClaimItem(record.claim_type, scope or record.pattern, symbols)
        granted, blocked = await edits.grant_requester(self.book, unit, row, record, item)
        await self._decide(unit, row, record, body, granted=granted, blocked_by=blocked)

    async def _deny(self, unit: Unit, row: Row, record: ClaimRecord, body: RespondRequest) -> None:
        await self._decide(unit, row, record, body)

    async def _narrow(
        self, unit: Unit, row: Row, record: ClaimRecord, body: RespondRequest
    ) -> None:
        rate = self.book.work_rate  # the inclusion check is the holder's pattern work
        work = Work(limit=rate.allowance(record.engineer, unit.now))
        try:
            narrowed = edits.narrowed_pattern(record, body.narrowed_pattern, work)
        finally:
            rate.charge(record.engineer, work.total, unit.now)
        await edits.narrow(self.book, unit, record, narrowed)
        granted: list[str] = []
        blocked: list[str] = []
        scope = row["requested_scope"]
        if scope is not None and not overlaps(scope, narrowed):
            item = ClaimItem(record.claim_type, scope)
            granted, blocked = await edits.grant_requester(self.book, unit, row, record, item)
        await self._decide(unit, row, record, body, granted=granted, narrowed=narrowed,
                           blocked_by=blocked)  # fmt: skip
        unit.changes.unblocked.add(row["repo"])  # the old pattern's waiters may fit beside it

    async def _coexist(
        self, unit: Unit, row: Row, record: ClaimRecord, body: RespondRequest
    ) -> None:
        pattern = row["requested_scope"] or record.pattern
        if body.coexist_pattern is not None:
            with engine_errors():
                pattern = normalize_pattern(body.coexist_pattern)
        symbols = tuple(body.coexist_symbols) if body.coexist_symbols is not None else None
        item = ClaimItem(record.claim_type, pattern, symbols)
        granted, _ = await edits.grant_requester(
            self.book, unit, row, record, item, beside_holder=True
        )
        if not granted:
            await edits.refuse_coexist(self.book, unit, row, record, item)
        await edits.link(self.book, unit, record, granted)
        await self._decide(unit, row, record, body, granted=granted)

    async def _decide(
        self,
        unit: Unit,
        row: Row,
        record: ClaimRecord,
        body: RespondRequest,
        granted: Iterable[str] = (),
        narrowed: str | None = None,
        blocked_by: Iterable[str] = (),
    ) -> None:
        """Record the answer, give the claim its expiry back if nobody else is asking."""
        request_id = row["id"]
        values: dict[str, Any] = {
            "state": DECIDED,
            "decision": str(body.decision),
            "note": body.note,
            "narrowed_pattern": narrowed,
            "decided_at": unit.now,
            "granted_claim_ids": list(granted),
        }
        detail = request_rows.decided_detail(row, values, blocked_by)
        unit.events.add(EventType.REQUEST_DECIDED, record.repo, row["holder"], **detail)
        await self.store.requests.update(unit.tx, row["repo"], request_id, **values)
        step = request_rows.step(request_id, "responded", unit.now, detail)
        await self.store.requests.insert_steps(unit.tx, [step])
        self._ended(unit, row)
        restore = self._restored_expiry(unit, row, record)
        if restore is not None:
            await self.book.update(unit, record, expires_at=restore)

    def _restored_expiry(self, unit: Unit, row: Row, record: ClaimRecord) -> datetime | None:
        view = unit.view(record.repo)
        others = [p for p in view.pending.values() if p.claim_id == record.id]
        if others or record.id not in view.claims:
            return None
        restored = max(record.expires_at, row["original_expires_at"])
        return restored if restored != record.expires_at else None

    async def _answer_late(
        self, unit: Unit, row: Row, body: RespondRequest, engineer: str
    ) -> CoordError:
        ended = f"{row['state']} at {format_utc(row['decided_at'])}"
        if row["state"] in (EXPIRED, RESOLVED):
            late = {"decision": str(body.decision), "engineer": engineer, "note": body.note,
                    "ended": row["state"]}  # fmt: skip
            step = request_rows.step(row["id"], "responded-late", unit.now, late)
            await self.store.requests.insert_steps(unit.tx, [step])
            return CoordError(
                ErrorCode.ALREADY_DECIDED,
                f"request {row['id']} already ended ({ended}): claim {row['claim_id']} is no "
                "longer held, so the answer changes nothing.",
                state=row["state"],
            )
        return CoordError(
            ErrorCode.ALREADY_DECIDED,
            f"request {row['id']} was already answered ({row['decision']}, {ended}); a request "
            "takes one answer.",
            state=row["state"],
            decision=row["decision"],
        )

    # -- ending with the claim ------------------------------------------------------------

    async def end_orphaned(self, unit: Unit) -> None:
        """A step before the commit: end the pending requests whose claim this unit ended."""
        for batch in unit.changes.released:
            for record in batch.records:
                view = unit.view(record.repo)
                for pending in [p for p in view.pending.values() if p.claim_id == record.id]:
                    row = await self.store.requests.get_in(unit.tx, pending.request_id)
                    if row is not None and row["state"] == PENDING:
                        await self._end(unit, row, batch.reason)

    async def _end(self, unit: Unit, row: Row, reason: str | None) -> str:
        state = EXPIRED if reason in ENDED_BY_TIME else RESOLVED
        detail = {"request_id": row["id"], "claim_id": row["claim_id"], "state": state,
                  "release_reason": reason}  # fmt: skip
        await self.store.requests.update(unit.tx, row["repo"], row["id"], state=state,
                                         decided_at=unit.now)  # fmt: skip
        step = request_rows.step(row["id"], state, unit.now, detail)
        await self.store.requests.insert_steps(unit.tx, [step])
        unit.events.add(EventType.REQUEST_DECIDED, row["repo"] or None, None, decision=None,
                        **detail)  # fmt: skip
        self._ended(unit, row)
        return state

    def _ended(self, unit: Unit, row: Row) -> None:
        view = unit.view(row["repo"] or None)
        unit.changing(view)
        view.pending.pop(row["id"], None)
        unit.changes.decided_requests.append(row["id"])

    async def wake(self, changes: Changes, _events: Sequence[Row]) -> None:
        """After a commit: the long-polls of the requests it decided return."""
        self.polls.wake(changes.decided_requests)

    def check_room(self, seconds: float) -> None:
        """Refuse (429) a call that would long-poll `seconds` past the cap, before it files
        anything: a refused call must change nothing."""
        if seconds > 0:
            self.polls.check_room()

    async def wait(self, request_id: str, seconds: float) -> None:
        """Return when the request leaves `pending` (on any replica), or after `seconds`."""
        if seconds <= 0:
            return
        await self.polls.wait(request_id, seconds, lambda: self._still_pending(request_id))

    async def _still_pending(self, request_id: str) -> bool:
        row = await self.store.requests.get(request_id)
        return row is not None and row["state"] == PENDING

    # -- reading --------------------------------------------------------------------------

    async def get(self, request_id: str, reader: Principal | None = None) -> ReleaseRequest:
        """One request as the API shows it (403 when `reader`'s token is for another repo)."""
        row = await self._row(request_id)
        if reader is not None:
            reader.check_repo(row["repo"], f"request {request_id}")
        return await self.to_wire(row)

    async def _row(self, request_id: str) -> Row:
        row = await self.store.requests.get(request_id)
        if row is None:
            raise CoordError(
                ErrorCode.NOT_FOUND,
                f"no release request {request_id!r}; GET /requests lists them.",
            )
        return row

    async def listing(
        self,
        filters: Mapping[str, str | None],
        engineer: str | None,
        page: tuple[Cursor | None, int],
        reader: Actor,
    ) -> Page[ReleaseRequest]:
        """A page of requests matching the filters, newest first; a listing by holder notifies
        them (when it is the holder, or someone who may act as them, who reads it)."""
        cursor, limit = page
        rows, total = await self.store.requests.listing(filters, engineer, cursor, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        holder = filters.get("holder")
        if holder and reader.owns(holder, filters.get("repo")):
            rows = await self.mark_notified(rows, "listing")
        after = Cursor(rows[-1]["created_at"], rows[-1]["id"]).encode() if more and rows else None
        return Page([await self.to_wire(row) for row in rows], total, after)

    async def mark_notified(self, rows: list[Row], via: str) -> list[Row]:
        """Record that the holder has now seen these pending requests (first time only)."""
        fresh = [row for row in rows if row["state"] == PENDING and row["notified_at"] is None]
        if not fresh:
            return rows
        now = self.arbiter.clock()
        async with self.store.transaction() as tx:
            for row in fresh:
                await self.store.requests.note(tx, row["id"], notified_at=now)
            steps = [
                request_rows.step(row["id"], "notified", now, {"via": via, "holder": row["holder"]})
                for row in fresh
            ]
            await self.store.requests.insert_steps(tx, steps)
        seen = {row["id"] for row in fresh}
        return [{**row, "notified_at": now} if row["id"] in seen else row for row in rows]

    async def timeline(self, request_id: str, reader: Principal) -> list[RequestEvent]:
        """The audit timeline, oldest first (404 for an unknown request)."""
        await self.get(request_id, reader)
        return [
            RequestEvent(
                request_id=row["request_id"],
                event_type=row["event_type"],
                at=row["at"],
                detail=row["detail"],
            )
            for row in await self.store.requests.steps(request_id)
        ]

    async def to_wire(self, row: Row) -> ReleaseRequest:
        """A stored request as the API shows it (with the claim's expiry while pending)."""
        expires_at = None
        if row["state"] == PENDING:
            claim = await self.store.claims.get(row["claim_id"])
            if claim is not None and claim["released_at"] is None:
                expires_at = claim["expires_at"]
        return request_rows.wire(row, expires_at)


Answer = Callable[[ReleaseRequests, Unit, Row, ClaimRecord, RespondRequest], Awaitable[None]]

_ANSWERS: dict[RequestDecision, Answer] = {
    RequestDecision.APPROVED: ReleaseRequests._approve,
    RequestDecision.DENIED: ReleaseRequests._deny,
    RequestDecision.NARROWED: ReleaseRequests._narrow,
    RequestDecision.COEXIST: ReleaseRequests._coexist,
}


def _target(unit: Unit, claim_id: str, requester: str) -> ClaimRecord:
    """The active claim a request is filed against (404 gone, 400 own or shared)."""
    records = [view.claims.get(claim_id) for view in unit.views.values()]
    record = next((r for r in records if r is not None and r.expires_at > unit.now), None)
    if record is None:
        raise CoordError(
            ErrorCode.NOT_FOUND,
            f"claim {claim_id!r} is no longer active; claim the scope with POST /claims.",
        )
    if record.engineer == requester:
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"claim {claim_id} is your own ({requester!r}); release it with DELETE "
            f"/claims/{claim_id} instead of asking yourself.",
        )
    if record.shared:
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"claim {claim_id} on {record.pattern!r} is shared and blocks no one; claim the "
            "scope yourself (you will be told who else holds it).",
        )
    return record


def _requested_scope(raw: str | None, record: ClaimRecord) -> str | None:
    if raw is None:
        return None
    with engine_errors():
        scope = normalize_pattern(raw)
        if not overlaps(scope, record.pattern):
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                f"requested_scope {scope!r} does not overlap claim {record.id} "
                f"({record.pattern!r}): that claim is not in your way; claim the scope directly.",
            )
    return scope
