"""The queue desk: parks claim requests that conflict and grants them when the way clears (SPEC §6).

A release, expiry or narrowing calls `serve()` synchronously, inside the same turn of the event
loop as the change, so a granted waiter's future is resolved before the releasing request has
even written its answer: the waiter's response leaves right after.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coord_engine.claims import ActiveClaim, ClaimRequest, QueuePolicy
from coord_engine.decide import Decision
from coord_engine.queue import (
    CandidateLookup,
    QueueEntry,
    effective_urgency,
    order_waiters,
    select_grants,
)
from coord_protocol.claims import CreateClaimsRequest
from coord_protocol.queue import QueueEntry as WireQueueEntry
from coord_protocol.vocab import EventType, QueueState
from coord_server.service.claims import ClaimService, GrantContext
from coord_server.service.events import EventBatch
from coord_server.service.records import ClaimRecord, new_id
from coord_server.storage.store import repo_key


@dataclass(slots=True)
class Outcome:
    """How a wait ended: granted claims, or the state it ended in."""

    state: QueueState
    records: list[ClaimRecord] = field(default_factory=list)
    decision: Decision | None = None


@dataclass(slots=True)
class Waiter:
    """One parked request and the future its long-poll awaits."""

    entry: QueueEntry
    body: CreateClaimsRequest
    context: GrantContext
    expires_at: datetime
    future: asyncio.Future[Outcome]

    @property
    def repo(self) -> str | None:
        """The waiter's repo bucket."""
        return self.entry.request.repo

    @property
    def waiting(self) -> bool:
        """Still in the queue."""
        return not self.future.done()


class QueueDesk:
    """Every waiting request of this process, ordered and served per repo bucket."""

    def __init__(self, claims: ClaimService, qpolicy: QueuePolicy) -> None:
        self.claims = claims
        self.qpolicy = qpolicy
        self.waiters: dict[str, Waiter] = {}
        self._seq = itertools.count()
        self._grants_per_repo: Counter[str | None] = Counter()
        claims.release_listeners.append(self.serve)

    def expire_stale_rows(self) -> None:
        """Waiting rows of a previous process: their callers are gone, so they end as expired."""
        now = self.claims.clock()
        with self.claims.store.transaction() as tx:
            for row in self.claims.store.waiting_queue_entries():
                tx.finish_queue_entry(row["queue_id"], str(QueueState.EXPIRED), now)

    def park(
        self, request: ClaimRequest, body: CreateClaimsRequest, context: GrantContext
    ) -> Waiter:
        """Queue a request that conflicts now; its caller awaits `waiter.future`."""
        now = self.claims.clock()
        queue_id = new_id("q")
        entry = QueueEntry(queue_id, body.urgency, now, next(self._seq), request)
        expires_at = now + timedelta(seconds=body.wait_seconds)
        waiter = Waiter(
            entry=entry,
            body=body,
            context=GrantContext(context.branch, context.description, queue_id),
            expires_at=expires_at,
            future=asyncio.get_running_loop().create_future(),
        )
        with self.claims.store.transaction() as tx:
            tx.insert_queue_entry(_row(waiter, now))
        self.waiters[queue_id] = waiter
        return waiter

    def serve(self, repos: set[str | None]) -> None:
        """Grant every waiter in `repos` that the current claims now allow, in queue order."""
        for repo in repos:
            waiting = [w.entry for w in self.waiters.values() if w.repo == repo and w.waiting]
            if waiting:
                self._serve_repo(repo, waiting)

    def _serve_repo(self, repo: str | None, waiting: list[QueueEntry]) -> None:
        now = self.claims.clock()
        ordered = order_waiters(waiting, now, self.qpolicy, self._grants_per_repo[repo])
        lookup = self._lookup()
        for entry, _ in select_grants(ordered, lookup, self.claims.policy, now):
            # Decide again against the real state: earlier grants of this pass are stored now,
            # and their real ids belong in the partners' coexists_with lists.
            decision = self.claims.decide(entry.request, now)
            if decision.granted:
                waiter = self.waiters.pop(entry.queue_id)
                records = self.claims.grant(entry.request, decision, waiter.context, now)
                self._grants_per_repo[repo] += 1
                waiter.future.set_result(Outcome(QueueState.GRANTED, records, decision))

    def _lookup(self) -> CandidateLookup:
        state = self.claims.state

        def candidates(request: ClaimRequest) -> list[ActiveClaim]:
            return state.candidates(request.repo, [item.pattern for item in request.items])

        return candidates

    def finish(self, queue_id: str, state: QueueState) -> bool:
        """End a wait as cancelled or expired; False when it had already ended."""
        waiter = self.waiters.pop(queue_id, None)
        if waiter is None or not waiter.waiting:
            return False
        now = self.claims.clock()
        events = EventBatch(now)
        if state is QueueState.CANCELLED:
            events.add(EventType.QUEUE_CANCEL, waiter.repo, waiter.entry.request.engineer,
                       queue_id=queue_id)  # fmt: skip
        with self.claims.store.transaction() as tx:
            tx.finish_queue_entry(queue_id, str(state), now)
            tx.insert_events(events.rows)
        waiter.future.set_result(Outcome(state))
        return True

    def depth(self, engineer: str | None = None, repo: str | None = None) -> int:
        """Waiting entries, of one engineer and/or repo when given."""
        return sum(
            1
            for w in self.waiters.values()
            if (engineer is None or w.entry.request.engineer == engineer)
            and (repo is None or w.repo == repo)
        )

    def depth_by_repo(self) -> Counter[str | None]:
        """Waiting entries per repo bucket."""
        return Counter(waiter.repo for waiter in self.waiters.values())

    def listing(self, engineer: str | None, repo: str | None) -> list[WireQueueEntry]:
        """Waiting entries in service order per repo, with who they wait on."""
        now = self.claims.clock()
        rows: list[WireQueueEntry] = []
        for bucket in sorted({w.repo for w in self.waiters.values()}, key=repo_key):
            entries = [w.entry for w in self.waiters.values() if w.repo == bucket]
            ordered = order_waiters(entries, now, self.qpolicy, self._grants_per_repo[bucket])
            for position, entry in enumerate(ordered, start=1):
                waiter = self.waiters[entry.queue_id]
                if (engineer and entry.request.engineer != engineer) or (
                    repo and waiter.repo != repo
                ):
                    continue
                rows.append(self._wire(waiter, position, now))
        return rows

    def _wire(self, waiter: Waiter, position: int, now: datetime) -> WireQueueEntry:
        request = waiter.entry.request
        blocking = self.claims.decide(request, now).blocking_claim_ids
        holder = self.claims.state.claims.get(blocking[0]) if blocking else None
        first = request.items[0]
        return WireQueueEntry(
            queue_id=waiter.entry.queue_id,
            repo=waiter.repo,
            blocking_claim_id=holder.id if holder else None,
            blocking_engineer=holder.engineer if holder else None,
            blocking_pattern=holder.pattern if holder else None,
            requester_engineer=request.engineer,
            requester_pattern=first.pattern,
            requester_patterns=[item.pattern for item in request.items],
            claim_type=first.type,
            symbols=list(first.symbols) if first.symbols else None,
            position=position,
            priority=waiter.entry.urgency,
            effective_priority=effective_urgency(waiter.entry, now, self.qpolicy),
            state=QueueState.WAITING,
            enqueued_at=waiter.entry.enqueued_at,
            expires_at=waiter.expires_at,
        )


def _row(waiter: Waiter, now: datetime) -> dict[str, object]:
    return {
        "queue_id": waiter.entry.queue_id,
        "repo": repo_key(waiter.repo),
        "engineer": waiter.entry.request.engineer,
        "session_id": waiter.entry.request.session_id,
        "request": waiter.body.model_dump(mode="json"),
        "urgency": str(waiter.entry.urgency),
        "seq": waiter.entry.seq,
        "enqueued_at": now,
        "expires_at": waiter.expires_at,
        "state": str(QueueState.WAITING),
    }
