"""The claim service: load -> decide -> persist -> notify, one transaction per change.

Every method here is synchronous on purpose. The server runs it on the event loop thread, so a
decision and the commit that records it can never interleave with another request's decision in
this process; that is what makes check-and-insert atomic on SQLite (one process per database).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from coord_engine.claims import ClaimRequest, Policy
from coord_engine.decide import Decision, Grant, decide
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import EventType
from coord_server.service.convert import engine_errors
from coord_server.service.deadlines import Deadlines
from coord_server.service.events import EventBatch
from coord_server.service.records import ClaimRecord, new_id
from coord_server.service.sessions import SessionActivity
from coord_server.service.state import ActiveState
from coord_server.storage.store import Row, Store, Transaction, repo_key

Clock = Callable[[], datetime]
ReleaseListener = Callable[[set[str | None]], None]
GrantWriter = Callable[[Transaction, ClaimRequest, Decision, list[ClaimRecord]], None]
"""Adds rows to a grant's own transaction (inbox notices, contention records)."""
RefusalWriter = Callable[[Transaction, ClaimRequest, Decision], None]
"""Adds rows to a refusal's own transaction (the holders' inbox notices)."""
RefusalListener = Callable[[ClaimRequest, Decision], None]


@dataclass(frozen=True, slots=True)
class GrantContext:
    """What a grant stores beside the decision: the claimant's own words."""

    branch: str | None = None
    description: str | None = None
    queue_id: str | None = None


class ClaimService:
    """Owns the active claims: every grant, release and expiry goes through here."""

    def __init__(
        self, store: Store, clock: Clock, policy: Policy, sessions: SessionActivity
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.sessions = sessions
        self.state = ActiveState()
        self.deadlines = Deadlines()
        self.release_listeners: list[ReleaseListener] = []
        self.grant_listeners: list[Callable[[list[ClaimRecord]], None]] = []
        self.grant_writers: list[GrantWriter] = []
        self.refusal_writers: list[RefusalWriter] = []
        self.refusal_listeners: list[RefusalListener] = []
        self.deadline_listeners: list[Callable[[datetime], None]] = []
        self.release_counter: Callable[[str, int], None] | None = None

    # -- start-up -------------------------------------------------------------------------

    def load(self) -> None:
        """Mirror the database's active claims and fences in memory."""
        self.state.fences = self.store.fences()
        for row in self.store.active_claims():
            record = ClaimRecord.from_row(row)
            self.state.add(record)
            self.deadlines.add_claim(record.id, record.expires_at)

    # -- deciding -------------------------------------------------------------------------

    def decide(
        self, request: ClaimRequest, now: datetime, exclude_sessions: Iterable[str] = ()
    ) -> Decision:
        """The engine's decision against the claims that could overlap the (canonical) request."""
        with engine_errors():
            patterns = [item.pattern for item in request.items]
            candidates = self.state.candidates(request.repo, patterns)
            excluded = set(exclude_sessions)
            if excluded:
                candidates = [c for c in candidates if c.session_id not in excluded]
            return decide(request, candidates, self.policy, now)

    # -- granting -------------------------------------------------------------------------

    def grant(
        self, request: ClaimRequest, decision: Decision, context: GrantContext, now: datetime
    ) -> list[ClaimRecord]:
        """Store a granted decision, cross-reference partners, and announce it."""
        key = repo_key(request.repo)
        first_fence = self.state.fences.get(key, 0) + 1
        records = [
            self._record(request, grant, context, now, first_fence + offset)
            for offset, grant in enumerate(decision.grants)
        ]
        partners = _partner_links(decision.grants, records)
        events = EventBatch(now)
        for grant, record in zip(decision.grants, records, strict=True):
            _grant_events(events, grant, record, context)
        with self.store.transaction() as tx:
            tx.insert_claims([record.to_row() for record in records])
            tx.set_fence(key, first_fence + len(records) - 1, existed=key in self.state.fences)
            for partner_id, new_ids in partners.items():
                merged = self.state.claims[partner_id].coexists_with + new_ids
                tx.update_claim(partner_id, coexists_with=merged)
            self._finish_queue(tx, context, records, now)
            tx.insert_events(events.rows)
            for write in self.grant_writers:
                write(tx, request, decision, records)
        self._apply_grant(key, records, partners)
        return records

    def _record(
        self,
        request: ClaimRequest,
        grant: Grant,
        context: GrantContext,
        now: datetime,
        fence: int,
    ) -> ClaimRecord:
        return ClaimRecord(
            id=new_id("clm"),
            repo=request.repo,
            engineer=request.engineer,
            claim_type=grant.item.type,
            pattern=grant.item.pattern,
            symbols=grant.item.symbols,
            narrowable=grant.narrowable,
            shared=grant.shared,
            severity=grant.severity,
            session_id=request.session_id,
            fence=fence,
            created_at=now,
            expires_at=grant.expires_at,
            branch=context.branch,
            description=context.description,
            coexists_with=list(grant.coexists_with),
            last_activity=now,
        )

    @staticmethod
    def _finish_queue(
        tx: Transaction, context: GrantContext, records: list[ClaimRecord], now: datetime
    ) -> None:
        if context.queue_id:
            granted = [record.id for record in records]
            tx.finish_queue_entry(context.queue_id, "granted", now, granted)

    def _apply_grant(
        self, key: str, records: list[ClaimRecord], partners: dict[str, list[str]]
    ) -> None:
        self.state.fences[key] = records[-1].fence if records else self.state.fences.get(key, 0)
        for partner_id, new_ids in partners.items():
            self.state.claims[partner_id].coexists_with.extend(new_ids)
        for record in records:
            self.state.add(record)
            self.deadlines.add_claim(record.id, record.expires_at)
        for listener in self.grant_listeners:
            listener(records)

    # -- releasing ------------------------------------------------------------------------

    def refused(self, request: ClaimRequest, decision: Decision) -> None:
        """Record a refused claim request (409 or queued), then tell the listeners.

        The blocked attempts and the refusal writers' rows (inbox notices) share one
        transaction; the listeners (auto-promote) run once it has committed.
        """
        with self.store.transaction() as tx:
            tx.insert_blocked_attempts(_blocked_rows(request, decision, self.clock()))
            for write in self.refusal_writers:
                write(tx, request, decision)
        for listener in self.refusal_listeners:
            listener(request, decision)

    def release(
        self, records: Sequence[ClaimRecord], reason: str, now: datetime, announce: bool = True
    ) -> list[str]:
        """Release active claims (reason `released`, `expired`, `idle`, ...) and serve queues.

        `announce=False` leaves serving the queues to the caller (`announce()`), who may first
        grant someone ahead of them (an approved release request).
        """
        records = [record for record in records if record.id in self.state.claims]
        if not records:
            return []
        event_type = EventType.CLAIM_RELEASED if reason == "released" else EventType.CLAIM_EXPIRED
        events = EventBatch(now)
        for record in records:
            events.claim(event_type, record, reason=reason)
        ids = [record.id for record in records]
        with self.store.transaction() as tx:
            tx.release_claims(ids, now, reason)
            tx.insert_events(events.rows)
        for record in records:
            self.state.remove(record.id)
            record.released_at = now
        if self.release_counter is not None:
            self.release_counter(reason, len(records))
        if announce:
            self.announce({record.repo for record in records})
        return ids

    def announce(self, repos: set[str | None]) -> None:
        """Something in `repos` stopped blocking (released, narrowed, made shared): serve queues."""
        for listener in self.release_listeners:
            listener(repos)

    def release_ids(self, claim_ids: Iterable[str], engineer: str | None) -> list[str]:
        """Release the named active claims (only `engineer`'s when given)."""
        records = [self.state.claims[i] for i in dict.fromkeys(claim_ids) if i in self.state.claims]
        if engineer is not None:
            records = [record for record in records if record.engineer == engineer]
        return self.release(records, "released", self.clock())

    def release_one(self, claim_id: str, engineer: str | None) -> list[str]:
        """Release one claim; 404 when it never existed or belongs to someone else."""
        record = self.state.claims.get(claim_id)
        if record is None:
            if self.store.claim(claim_id) is None:
                raise CoordError(ErrorCode.NOT_FOUND, f"no claim {claim_id!r} exists.")
            return []  # already released or expired: releasing again changes nothing
        if engineer is not None and record.engineer != engineer:
            raise CoordError(
                ErrorCode.NOT_HOLDER,
                f"claim {claim_id} is held by {record.engineer!r}, not {engineer!r}; only the "
                "holder (or the operator, without `engineer`) can release it.",
            )
        return self.release([record], "released", self.clock())

    def release_session(self, session_id: str, repo: str | None) -> list[str]:
        """Release a session's claims (in one repo bucket when `repo` is given)."""
        records = self.state.of_session(session_id)
        if repo is not None:
            records = [record for record in records if record.repo == repo]
        return self.release(records, "released", self.clock())

    # -- extending ------------------------------------------------------------------------

    def extend(self, claim_id: str, engineer: str | None, ttl_hours: float) -> ClaimRecord:
        """Give an active claim a new expiry `ttl_hours` from now (counts as activity)."""
        record = self.state.claims.get(claim_id)
        if record is None or (engineer is not None and record.engineer != engineer):
            raise CoordError(
                ErrorCode.NOT_FOUND,
                f"no active claim {claim_id!r}"
                + (f" held by {engineer!r}" if engineer else "")
                + "; list yours with GET /claims?engineer=... and claim again if it expired.",
            )
        now = self.clock()
        expires_at = now + timedelta(hours=ttl_hours)
        with self.store.transaction() as tx:
            tx.update_claim(claim_id, expires_at=expires_at, last_activity=now)
        record.expires_at = expires_at
        record.last_activity = now
        self.deadlines.add_claim(record.id, expires_at)
        return record

    def reschedule(self, record: ClaimRecord, expires_at: datetime) -> None:
        """Adopt a committed new expiry of an active claim and wake the expiry loop for it."""
        record.expires_at = expires_at
        self.deadlines.add_claim(record.id, expires_at)
        for listener in self.deadline_listeners:
            listener(expires_at)

    # -- expiry ---------------------------------------------------------------------------

    def expire_due(self, now: datetime) -> list[str]:
        """Release every claim whose TTL or session idle time has run out by `now`."""
        ttl_due = [
            self.state.claims[claim_id]
            for claim_id in self.deadlines.due_claims(now)
            if claim_id in self.state.claims and self.state.claims[claim_id].expires_at <= now
        ]
        expired = self.release(ttl_due, "expired", now)
        for session_id in self.sessions.idle_sessions(now):
            expired += self.release(self.state.of_session(session_id), "idle", now)
        return expired

    def next_deadline(self) -> datetime | None:
        """The earliest instant something may expire."""
        candidates = [self.deadlines.next_due(), self.sessions.next_idle_deadline()]
        present = [moment for moment in candidates if moment is not None]
        return min(present) if present else None


def _partner_links(grants: Sequence[Grant], records: Sequence[ClaimRecord]) -> dict[str, list[str]]:
    """For each existing claim a new grant coexists with, the new ids to add to it."""
    links: dict[str, list[str]] = {}
    for grant, record in zip(grants, records, strict=True):
        for partner_id in grant.coexists_with:
            links.setdefault(partner_id, []).append(record.id)
    return links


def _blocked_rows(request: ClaimRequest, decision: Decision, now: datetime) -> list[Row]:
    """One blocked attempt per conflict: the hotspot signal."""
    return [
        {
            "repo": repo_key(request.repo),
            "pattern": conflict.item.pattern,
            "engineer": request.engineer,
            "holder_claim_id": conflict.holder.id,
            "at": now,
        }
        for conflict in decision.conflicts
    ]


def _grant_events(
    events: EventBatch, grant: Grant, record: ClaimRecord, context: GrantContext
) -> None:
    kind = EventType.QUEUE_GRANT if context.queue_id else EventType.CLAIM_GRANTED
    events.claim(kind, record, queue_id=context.queue_id, shared=record.shared)
    if context.queue_id:
        events.claim(EventType.CLAIM_GRANTED, record, queue_id=context.queue_id)
    for partner in grant.coexisting:
        events.claim(EventType.AUTO_COEXIST, record, partner_claim_id=partner.id,
                     partner_engineer=partner.engineer)  # fmt: skip
    for narrow in grant.narrowed:
        events.claim(EventType.AUTO_NARROW, record, holder_claim_id=narrow.holder.id,
                     holder_engineer=narrow.holder.engineer,
                     narrowed_symbols=list(narrow.symbols))  # fmt: skip
