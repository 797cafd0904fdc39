"""Release requests (SPEC §7): filed against a claim, answered by its holder, ended on time.

Filing shortens the holder's claim to `COORD_REQUEST_TTL_SHORT_SEC` from now, so a holder who
does not answer cannot sit on the scope: the claim expires and the request ends with it. A
request whose claim goes away (released, expired, idle) ends in the same turn as the release,
through the claim service's release listeners: nothing polls. Every step lands in the request's
audit timeline, and `request_filed` / `request_decided` go to the event log with the change.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

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
from coord_server.service import _claim_edits as edits
from coord_server.service import _request_rows as request_rows
from coord_server.service._request_rows import DECIDED, EXPIRED, PENDING, RESOLVED
from coord_server.service.claims import ClaimService
from coord_server.service.convert import engine_errors
from coord_server.service.events import EventBatch
from coord_server.service.records import ClaimRecord, new_id
from coord_server.storage.store import Row

ENDED_BY_TIME = frozenset({"expired", "idle"})
"""Release reasons that end a pending request as `expired` (the rest end it as `resolved`)."""


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """What memory keeps of a pending request: enough to notice its claim going away."""

    request_id: str
    claim_id: str
    repo: str | None


class ReleaseRequests:
    """Every release request: filing, answers, on-time endings, listings and long-polls."""

    def __init__(self, claims: ClaimService, short_ttl_sec: float) -> None:
        self.claims = claims
        self.store = claims.store
        self.short_ttl = timedelta(seconds=short_ttl_sec)
        self.pending: dict[str, PendingRequest] = {}
        self._decided: dict[str, asyncio.Event] = {}
        claims.release_listeners.append(self._claims_gone)

    def load(self) -> None:
        """Mirror the pending requests; end those whose claim went away while we were down."""
        for row in self.store.pending_release_requests():
            self.pending[row["id"]] = _pending(row)
        self._claims_gone({entry.repo for entry in self.pending.values()})

    # -- filing ---------------------------------------------------------------------------

    def file(self, body: CreateReleaseRequest, requester: str) -> str:
        """File a request against an active claim and shorten that claim; returns the id."""
        record = self._target(body.claim_id, requester)
        scope = _requested_scope(body.requested_scope, record)
        now = self.claims.clock()
        clamped = min(record.expires_at, now + self.short_ttl)
        request_id = new_id("req")
        row = request_rows.filed_row(request_id, body, requester, record, scope, now)
        row["original_expires_at"] = self._original_expiry(record)
        detail = request_rows.filed_detail(row, clamped)
        events = EventBatch(now)
        events.add(EventType.REQUEST_FILED, record.repo, requester, **detail)
        with self.store.transaction() as tx:
            tx.insert_release_request(row)
            tx.insert_request_events([request_rows.step(request_id, "filed", now, detail)])
            if clamped < record.expires_at:
                tx.update_claim(record.id, expires_at=clamped)
            tx.insert_events(events.rows)
        self.pending[request_id] = PendingRequest(request_id, record.id, record.repo)
        if clamped < record.expires_at:
            self.claims.reschedule(record, clamped)
        return request_id

    def _target(self, claim_id: str, requester: str) -> ClaimRecord:
        record = self.claims.state.claims.get(claim_id)
        now = self.claims.clock()
        if record is not None and record.expires_at <= now:
            self.claims.expire_due(now)  # ran out a moment ago: no request can shorten it now
            record = None
        if record is None:
            gone = f"claim {claim_id!r} is no longer active; claim the scope with POST /claims."
            unknown = f"no claim {claim_id!r} exists; GET /claims lists the active ones."
            known = self.store.claim(claim_id) is not None
            raise CoordError(ErrorCode.NOT_FOUND, gone if known else unknown)
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

    def _original_expiry(self, record: ClaimRecord) -> datetime:
        """The expiry to give back on denial: the one from before the first pending request."""
        earlier = [p.request_id for p in self.pending.values() if p.claim_id == record.id]
        if earlier:
            rows = self.store.release_requests_by_id(earlier)
            originals: list[datetime] = [row["original_expires_at"] for row in rows]
            return max([record.expires_at, *originals])
        return record.expires_at

    # -- answering ------------------------------------------------------------------------

    def respond(self, request_id: str, body: RespondRequest, engineer: str) -> ReleaseRequest:
        """The holder's answer; see the module docstring for what each decision does."""
        row = self._row(request_id)
        if engineer != row["holder"]:
            raise CoordError(
                ErrorCode.FORBIDDEN,
                f"only the holder {row['holder']!r} can answer request {request_id}, not "
                f"{engineer!r}.",
            )
        now = self.claims.clock()
        record = self.claims.state.claims.get(row["claim_id"])
        if record is not None and record.expires_at <= now:
            self.claims.expire_due(now)  # the claim ran out already: end the request first
        if row["claim_id"] not in self.claims.state.claims:
            self._claims_gone({row["repo"] or None})
        row = self._row(request_id)
        if row["state"] != PENDING:
            self._answer_late(row, body, engineer, now)
        record = self.claims.state.claims[row["claim_id"]]
        answer = _ANSWERS[body.decision]
        answer(self, row, record, body, now)
        return self.get(request_id)

    def _approve(self, row: Row, record: ClaimRecord, body: RespondRequest, now: datetime) -> None:
        self.claims.release([record], "released", now, announce=False)
        scope = row["requested_scope"]
        symbols = record.symbols if scope is None else None
        item = ClaimItem(record.claim_type, scope or record.pattern, symbols)
        granted, blocked = edits.grant_requester(self.claims, row, record, item, now)
        self._decide(row, record, body, now, granted=granted, blocked_by=blocked)
        self.claims.announce({record.repo})  # the queue is served after the requester

    def _deny(self, row: Row, record: ClaimRecord, body: RespondRequest, now: datetime) -> None:
        self._decide(row, record, body, now)

    def _narrow(self, row: Row, record: ClaimRecord, body: RespondRequest, now: datetime) -> None:
        narrowed = edits.narrowed_pattern(record, body.narrowed_pattern)
        edits.narrow(self.claims, record, narrowed, now)
        granted: list[str] = []
        blocked: list[str] = []
        scope = row["requested_scope"]
        if scope is not None and not overlaps(scope, narrowed):
            item = ClaimItem(record.claim_type, scope)
            granted, blocked = edits.grant_requester(self.claims, row, record, item, now)
        self._decide(row, record, body, now, granted=granted, narrowed=narrowed,
                     blocked_by=blocked)  # fmt: skip
        self.claims.announce({record.repo})  # the old pattern's waiters may fit beside it now

    def _coexist(self, row: Row, record: ClaimRecord, body: RespondRequest, now: datetime) -> None:
        pattern = row["requested_scope"] or record.pattern
        if body.coexist_pattern is not None:
            with engine_errors():
                pattern = normalize_pattern(body.coexist_pattern)
        symbols = tuple(body.coexist_symbols) if body.coexist_symbols is not None else None
        item = ClaimItem(record.claim_type, pattern, symbols)
        granted, _ = edits.grant_requester(self.claims, row, record, item, now, beside_holder=True)
        if not granted:
            edits.refuse_coexist(self.claims, row, record, item, now)
        edits.link(self.claims, record, granted)
        self._decide(row, record, body, now, granted=granted)

    def _decide(
        self,
        row: Row,
        record: ClaimRecord,
        body: RespondRequest,
        now: datetime,
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
            "decided_at": now,
            "granted_claim_ids": list(granted),
        }
        detail = request_rows.decided_detail(row, values, blocked_by)
        events = EventBatch(now)
        events.add(EventType.REQUEST_DECIDED, record.repo, row["holder"], **detail)
        restore = self._restored_expiry(row, record)
        with self.store.transaction() as tx:
            tx.update_release_request(request_id, **values)
            tx.insert_request_events([request_rows.step(request_id, "responded", now, detail)])
            if restore is not None:
                tx.update_claim(record.id, expires_at=restore)
            tx.insert_events(events.rows)
        self._ended(request_id)
        if restore is not None:
            self.claims.reschedule(record, restore)

    def _restored_expiry(self, row: Row, record: ClaimRecord) -> datetime | None:
        others = [
            p
            for p in self.pending.values()
            if p.claim_id == record.id and p.request_id != row["id"]
        ]
        if others or record.id not in self.claims.state.claims:
            return None
        restored = max(record.expires_at, row["original_expires_at"])
        return restored if restored != record.expires_at else None

    def _answer_late(
        self, row: Row, body: RespondRequest, engineer: str, now: datetime
    ) -> NoReturn:
        ended = f"{row['state']} at {format_utc(row['decided_at'])}"
        if row["state"] in (EXPIRED, RESOLVED):
            late = {"decision": str(body.decision), "engineer": engineer, "note": body.note,
                    "ended": row["state"]}  # fmt: skip
            step = request_rows.step(row["id"], "responded-late", now, late)
            with self.store.transaction() as tx:
                tx.insert_request_events([step])
            raise CoordError(
                ErrorCode.ALREADY_DECIDED,
                f"request {row['id']} already ended ({ended}): claim {row['claim_id']} is no "
                "longer held, so the answer changes nothing.",
                state=row["state"],
            )
        raise CoordError(
            ErrorCode.ALREADY_DECIDED,
            f"request {row['id']} was already answered ({row['decision']}, {ended}); a request "
            "takes one answer.",
            state=row["state"],
            decision=row["decision"],
        )

    # -- ending on time -------------------------------------------------------------------

    def _claims_gone(self, repos: set[str | None]) -> None:
        """A release listener: end the pending requests whose claim is no longer active."""
        active = self.claims.state.claims
        gone = [p for p in self.pending.values() if p.repo in repos and p.claim_id not in active]
        if gone:
            self._end(gone)

    def _end(self, gone: list[PendingRequest]) -> None:
        now = self.claims.clock()
        events = EventBatch(now)
        steps = []
        endings: list[tuple[str, str]] = []
        for entry in gone:
            claim = self.store.claim(entry.claim_id)
            reason = claim["release_reason"] if claim is not None else None
            state = EXPIRED if reason in ENDED_BY_TIME else RESOLVED
            endings.append((entry.request_id, state))
            detail = {"request_id": entry.request_id, "claim_id": entry.claim_id,
                      "state": state, "release_reason": reason}  # fmt: skip
            steps.append(request_rows.step(entry.request_id, state, now, detail))
            events.add(EventType.REQUEST_DECIDED, entry.repo, None, decision=None, **detail)
        with self.store.transaction() as tx:
            for request_id, state in endings:
                tx.update_release_request(request_id, state=state, decided_at=now)
            tx.insert_request_events(steps)
            tx.insert_events(events.rows)
        for request_id, _ in endings:
            self._ended(request_id)

    def _ended(self, request_id: str) -> None:
        self.pending.pop(request_id, None)
        woken = self._decided.pop(request_id, None)
        if woken is not None:
            woken.set()

    async def wait(self, request_id: str, seconds: float) -> None:
        """Return when the request leaves `pending`, or after `seconds`."""
        if request_id not in self.pending or seconds <= 0:
            return
        decided = self._decided.setdefault(request_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await decided.wait()

    # -- reading --------------------------------------------------------------------------

    def get(self, request_id: str) -> ReleaseRequest:
        """One request as the API shows it."""
        return self.to_wire(self._row(request_id))

    def _row(self, request_id: str) -> Row:
        row = self.store.release_request(request_id)
        if row is None:
            raise CoordError(
                ErrorCode.NOT_FOUND,
                f"no release request {request_id!r}; GET /requests lists them.",
            )
        return row

    def listing(
        self, filters: Mapping[str, str | None], engineer: str | None, limit: int
    ) -> list[ReleaseRequest]:
        """Requests matching the filters, newest first; a listing by holder notifies them."""
        rows = self.store.release_requests(filters, engineer, limit)
        if filters.get("holder"):
            rows = self.mark_notified(rows, "listing")
        return [self.to_wire(row) for row in rows]

    def pending_rows(self, claim_ids: Iterable[str]) -> list[Row]:
        """Pending requests against the given claims, newest first."""
        wanted = set(claim_ids)
        ids = [p.request_id for p in self.pending.values() if p.claim_id in wanted]
        return self.store.release_requests_by_id(ids) if ids else []

    def mark_notified(self, rows: list[Row], via: str) -> list[Row]:
        """Record that the holder has now seen these pending requests (first time only)."""
        fresh = [row for row in rows if row["state"] == PENDING and row["notified_at"] is None]
        if not fresh:
            return rows
        now = self.claims.clock()
        with self.store.transaction() as tx:
            for row in fresh:
                tx.update_release_request(row["id"], notified_at=now)
            steps = [
                request_rows.step(row["id"], "notified", now, {"via": via, "holder": row["holder"]})
                for row in fresh
            ]
            tx.insert_request_events(steps)
        seen = {row["id"] for row in fresh}
        return [{**row, "notified_at": now} if row["id"] in seen else row for row in rows]

    def timeline(self, request_id: str) -> list[RequestEvent]:
        """The audit timeline, oldest first (404 for an unknown request)."""
        self._row(request_id)
        return [
            RequestEvent(
                request_id=row["request_id"],
                event_type=row["event_type"],
                at=row["at"],
                detail=row["detail"],
            )
            for row in self.store.request_events(request_id)
        ]

    def to_wire(self, row: Row) -> ReleaseRequest:
        """A stored request as the API shows it (with the claim's expiry while pending)."""
        record = self.claims.state.claims.get(row["claim_id"])
        live = row["state"] == PENDING and record is not None
        return request_rows.wire(row, record.expires_at if live and record is not None else None)


Answer = Callable[[ReleaseRequests, Row, ClaimRecord, RespondRequest, datetime], None]

_ANSWERS: dict[RequestDecision, Answer] = {
    RequestDecision.APPROVED: ReleaseRequests._approve,
    RequestDecision.DENIED: ReleaseRequests._deny,
    RequestDecision.NARROWED: ReleaseRequests._narrow,
    RequestDecision.COEXIST: ReleaseRequests._coexist,
}


def _pending(row: Row) -> PendingRequest:
    return PendingRequest(row["id"], row["claim_id"], row["repo"] or None)


def _requested_scope(raw: str | None, record: ClaimRecord) -> str | None:
    if raw is None:
        return None
    with engine_errors():
        scope = normalize_pattern(raw)
    if not overlaps(scope, record.pattern):
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"requested_scope {scope!r} does not overlap claim {record.id} ({record.pattern!r}): "
            "that claim is not in your way; claim the scope directly.",
        )
    return scope
