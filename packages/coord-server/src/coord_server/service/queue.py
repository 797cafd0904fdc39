"""The queue desk: parks claim requests that conflict and grants them when the way clears (SPEC §6).

Entries live in the database (and in every replica's view of their repo); the caller's long-poll
lives on the replica that parked it, as a future. Whoever ends what blocked an entry (a release,
an expiry, a narrowing, on any replica) serves the repo's queue right after its commit, under the
repo's lock, in queue order, re-deciding each entry against the claims of that moment. A grant
made for a caller on this replica resolves its future at once; one made elsewhere reaches this
replica as a signal, and the entry's row holds the claims and the words of the grant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from coord_engine.claims import ActiveClaim, ClaimRequest, QueuePolicy
from coord_engine.decide import Decision, decide
from coord_engine.queue import (
    CandidateLookup,
    QueueEntry,
    effective_urgency,
    order_waiters,
    select_grants,
)
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.queue import QueueEntry as WireQueueEntry
from coord_protocol.vocab import EventType, QueueState, Urgency
from coord_server.auth.principal import Actor
from coord_server.service.arbiter import Arbiter, Unit
from coord_server.service.changes import Changes, WaitEnded
from coord_server.service.claims import ClaimBook
from coord_server.service.records import ClaimRecord, GrantContext, new_id
from coord_server.service.view import UNKNOWN, RepoView, Waiter
from coord_server.service.view_rows import request_json
from coord_server.storage import Row, Store, repo_key

logger = logging.getLogger("coord.queue")

SERVE_RETRY_SEC = 1.0
"""Wait before serving a queue again after serving it failed (its entries stay parked)."""

CAP_RETRY_AFTER_SEC = 5
"""`Retry-After` of a refusal past a queue cap."""


class QueueCaps:
    """How many entries may wait (COORD_MAX_QUEUE_PER_ENGINEER, COORD_MAX_QUEUE_TOTAL)."""

    def __init__(self, per_engineer: int, total: int) -> None:
        self.per_engineer = per_engineer
        self.total = total


class QueueDesk:
    """Parking, serving, ending and listing queue entries; the long-polls of this replica."""

    def __init__(
        self,
        store: Store,
        arbiter: Arbiter,
        book: ClaimBook,
        qpolicy: QueuePolicy,
        caps: QueueCaps,
        replica: str,
    ) -> None:
        self.store = store
        self.arbiter = arbiter
        self.book = book
        self.qpolicy = qpolicy
        self.caps = caps
        self.replica = replica
        self._calls: dict[str, asyncio.Future[WaitEnded]] = {}
        """Queue id -> the future its caller on this replica awaits."""
        self._tasks: set[asyncio.Future[None]] = set()
        """Follow-up work started from callbacks, kept until done (a task nobody holds can be
        collected before it finishes)."""

    # -- parking --------------------------------------------------------------------------

    async def check_caps(self, engineer: str) -> None:
        """Refuse (429) a new entry past the per-engineer or the total cap."""
        mine = await self.store.queue.waiting_count(engineer)
        if mine >= self.caps.per_engineer:
            raise _over_cap(
                f"{engineer!r} already has {mine} claim requests waiting, the most allowed "
                f"(COORD_MAX_QUEUE_PER_ENGINEER={self.caps.per_engineer}). Cancel one with "
                "DELETE /requests/{queue_id}, or let one finish, then queue again.",
                "COORD_MAX_QUEUE_PER_ENGINEER",
            )
        total = await self.store.queue.waiting_count()
        if total >= self.caps.total:
            raise _over_cap(
                f"{total} claim requests are waiting, the most the service allows "
                f"(COORD_MAX_QUEUE_TOTAL={self.caps.total}); retry without wait_seconds to be "
                "told who holds the scope, or queue again in a few seconds.",
                "COORD_MAX_QUEUE_TOTAL",
            )

    async def park(
        self,
        unit: Unit,
        request: ClaimRequest,
        context: GrantContext,
        wait_seconds: int,
        urgency: Urgency,
    ) -> Waiter:
        """Queue a request that conflicts now; its caller then awaits `wait()`."""
        view = unit.view(request.repo)
        unit.changing(view)
        queue_id = new_id("q")
        seq = unit.tx.version_of(view.key)  # unique and increasing per repo: ties by arrival
        entry = QueueEntry(queue_id, urgency, unit.now, seq, request)
        waiter = Waiter(
            entry,
            GrantContext(context.branch, context.description, queue_id),
            unit.now + timedelta(seconds=wait_seconds),
            self.replica,
        )
        await self.store.queue.insert(unit.tx, _row(view, waiter))
        view.waiters[queue_id] = waiter
        self._calls[queue_id] = asyncio.get_running_loop().create_future()
        return waiter

    def forget(self, queue_id: str) -> None:
        """Drop the call of an entry whose parking did not commit."""
        self._calls.pop(queue_id, None)

    # -- waiting --------------------------------------------------------------------------

    async def wait(
        self, waiter: Waiter, seconds: float, hang_up: Callable[[], Awaitable[object]]
    ) -> WaitEnded | None:
        """The end of the wait: granted, cancelled or expired; None when the caller hung up."""
        call = self._calls[waiter.queue_id]
        gone = asyncio.ensure_future(hang_up())
        try:
            watched: set[asyncio.Future[object]] = {call, gone}  # type: ignore[arg-type]
            done, _ = await asyncio.wait(
                watched, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            gone.cancel()
        if call.done():
            return call.result()
        hung_up = gone in done
        ended = await self.end(waiter, QueueState.CANCELLED if hung_up else QueueState.EXPIRED)
        return None if hung_up else ended

    async def end(self, waiter: Waiter, state: QueueState) -> WaitEnded:
        """End a wait as cancelled or expired (an expired one is granted if free right now).

        When the entry had already left the queue (granted by a release elsewhere a moment
        ago), that ending stands; a caller that hung up then has its grant released, since
        nobody will ever learn its claim ids.
        """
        repo = waiter.entry.request.repo
        async with self.arbiter.hold([repo]) as unit:
            view = unit.view(repo)
            if waiter.queue_id not in view.waiters:
                ended = await self._ended_from_row(waiter.queue_id)
                if state is QueueState.CANCELLED and ended.records:
                    await self.book.release(unit, list(ended.records), "released")
                return ended
            if state is QueueState.EXPIRED:
                # Free at the very deadline: granting now beats a 409 the caller retries at once.
                decision = await self.book.decide(unit, waiter.entry.request)
                if decision.granted:
                    return await self._grant(unit, view, waiter, decision)
            return await self._finish(unit, view, waiter, state)

    async def cancel(self, queue_id: str, actor: Actor) -> bool:
        """`DELETE /requests/{queue_id}`: end a waiting entry (403 unless it is the actor's);
        its caller gets 409 at once."""
        row = await self.store.queue.get(queue_id)
        if row is None or row["state"] != QueueState.WAITING:
            raise CoordError(
                ErrorCode.NOT_FOUND,
                f"no waiting queue entry {queue_id!r}; it may have been granted or timed out "
                "(GET /requests?queued=true lists the waiting ones).",
            )
        actor.check(f"queue entry {queue_id}", row["engineer"], row["repo"] or None)
        async with self.arbiter.hold([row["repo"] or None]) as unit:
            view = unit.view(row["repo"] or None)
            waiter = view.waiters.get(queue_id)
            if waiter is None:
                return False
            await self._finish(unit, view, waiter, QueueState.CANCELLED)
        return True

    async def end_orphans(self) -> bool:
        """End (expired) the entries nobody can answer: their replica is gone. False when
        ending some failed (they are tried again next time)."""
        waiting = await self.store.queue.waiting_with_replicas()
        live = await self.store.db.live_replicas(sorted({row["replica"] for row in waiting}))
        orphans: dict[str, set[str]] = {}
        for row in waiting:
            if row["replica"] not in live:
                orphans.setdefault(row["repo"], set()).add(row["queue_id"])
        ok = True
        for key, queue_ids in sorted(orphans.items()):
            try:
                async with self.arbiter.hold([key or None]) as unit:
                    view = unit.view(key or None)
                    for queue_id in sorted(queue_ids & set(view.waiters)):
                        await self._finish(unit, view, view.waiters[queue_id], QueueState.EXPIRED)
            except Exception:  # a boundary: tried again at the next sweep
                logger.exception("ending orphaned queue entries of %r failed", key)
                ok = False
        return ok

    # -- serving --------------------------------------------------------------------------

    async def serve(self, keys: Iterable[str]) -> None:
        """Grant the waiters of these repos that the claims now allow, in queue order."""
        for key in sorted(set(keys)):
            view = self.arbiter.view(key)
            if view.version != UNKNOWN and not view.waiters:
                continue  # a later entry parked against this very state, so it still conflicts
            # (an unknown view, after a failed unit, may have lost waiters that are still stored)
            try:
                async with self.arbiter.hold([key or None]) as unit:
                    await self._serve_view(unit, unit.views[key])
            except Exception:  # a boundary: the entries stay parked and are served again soon
                logger.exception("serving the queue of %r failed; trying again shortly", key)
                asyncio.get_running_loop().call_later(SERVE_RETRY_SEC, self._serve_later, key)

    def _serve_later(self, key: str) -> None:
        self._start(self.serve([key]))

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_view(self, unit: Unit, view: RepoView) -> None:
        await self.book.policy.ensure(unit.owners_revision)
        waiting = await self._answerable(unit, view)
        ordered = order_waiters(
            [waiter.entry for waiter in waiting], unit.now, self.qpolicy, view.grants_served
        )
        policy = self.book.policy.policy
        for entry, _ in select_grants(ordered, _lookup(view), policy, unit.now):
            # Decide again against the real state: earlier grants of this pass are stored now,
            # and their real ids belong in the partners' coexists_with lists.
            decision = await self.book.decide(unit, entry.request)
            if decision.granted:
                await self._grant(unit, view, view.waiters[entry.queue_id], decision)

    async def _answerable(self, unit: Unit, view: RepoView) -> list[Waiter]:
        """The view's waiters whose callers can still be answered; the others end (expired)."""
        replicas = {waiter.replica for waiter in view.waiters.values()}
        live = await self.store.db.live_replicas(sorted(replicas))
        answerable = []
        for waiter in list(view.waiters.values()):
            if waiter.replica in live:
                answerable.append(waiter)  # its deadline is its own replica's to keep
            else:
                await self._finish(unit, view, waiter, QueueState.EXPIRED)
        return answerable

    async def _grant(
        self, unit: Unit, view: RepoView, waiter: Waiter, decision: Decision
    ) -> WaitEnded:
        records = await self.book.grant(unit, waiter.entry.request, decision, waiter.context)
        view.grants_served += 1
        notices = tuple(notice for grant in decision.grants for notice in grant.notices)
        return await self._finish(
            unit, view, waiter, QueueState.GRANTED, records, decision.warnings, notices
        )

    async def _finish(
        self,
        unit: Unit,
        view: RepoView,
        waiter: Waiter,
        state: QueueState,
        records: Sequence[ClaimRecord] = (),
        warnings: tuple[str, ...] = (),
        notices: tuple[str, ...] = (),
    ) -> WaitEnded:
        unit.changing(view)
        outcome = {"warnings": list(warnings), "notices": list(notices)} if records else None
        await self.store.queue.finish(
            unit.tx, view.key, [waiter.queue_id], str(state), unit.now,
            [record.id for record in records], outcome,
        )  # fmt: skip
        view.waiters.pop(waiter.queue_id, None)
        if state is QueueState.CANCELLED:
            unit.events.add(EventType.QUEUE_CANCEL, view.repo, waiter.engineer,
                            queue_id=waiter.queue_id)  # fmt: skip
        ended = WaitEnded(waiter.queue_id, view.key, state, tuple(records), warnings, notices)
        unit.changes.waits_ended.append(ended)
        return ended

    # -- answering callers ----------------------------------------------------------------

    async def answer(self, changes: Changes, _events: Sequence[Row]) -> None:
        """After a commit: resolve the calls of this replica's entries that left the queue."""
        for ended in changes.waits_ended:
            self._resolve(ended)

    async def serve_unblocked(self, changes: Changes, _events: Sequence[Row]) -> None:
        """After a commit: serve the queues of the repos where something stopped blocking."""
        if changes.unblocked:
            await self.serve(changes.unblocked)

    def ended_elsewhere(self, queue_ids: Iterable[str]) -> None:
        """Another replica ended entries (or signals were lost: all of them may have ended)."""
        for queue_id in queue_ids:
            if queue_id in self._calls:
                self._start(self._resolve_from_row(queue_id))

    def recheck_all(self) -> None:
        """Look at every waiting call's row again (after the replica signals were lost)."""
        self.ended_elsewhere(list(self._calls))

    async def _resolve_from_row(self, queue_id: str) -> None:
        row = await self.store.queue.get(queue_id)
        if row is not None and row["state"] != QueueState.WAITING:
            self._resolve(await self._ended(row))

    def _resolve(self, ended: WaitEnded) -> None:
        call = self._calls.pop(ended.queue_id, None)
        if call is not None and not call.done():
            call.set_result(ended)

    async def _ended_from_row(self, queue_id: str) -> WaitEnded:
        row = await self.store.queue.get(queue_id)
        if row is None:
            return WaitEnded(queue_id, "", QueueState.EXPIRED)
        return await self._ended(row)

    async def _ended(self, row: Row) -> WaitEnded:
        claim_ids = list(row["granted_claim_ids"] or [])
        records = [ClaimRecord.from_row(r) for r in await self.store.claims.by_ids(claim_ids)]
        outcome = row["outcome"] or {}
        return WaitEnded(
            row["queue_id"], row["repo"], QueueState(row["state"]), tuple(records),
            tuple(outcome.get("warnings", ())), tuple(outcome.get("notices", ())),
        )  # fmt: skip

    # -- reading --------------------------------------------------------------------------

    def depth(self, engineer: str) -> int:
        """Waiting entries of `engineer`, as this replica's views hold them."""
        return sum(
            1
            for view in self.arbiter.views.values()
            for waiter in view.waiters.values()
            if waiter.engineer == engineer
        )

    async def listing(self, engineer: str | None, repo: str | None) -> list[WireQueueEntry]:
        """Waiting entries in service order per repo, with who they wait on."""
        views = await self.arbiter.all_current()
        now = self.arbiter.clock()
        rows: list[WireQueueEntry] = []
        for view in sorted(views, key=lambda v: v.key):
            if repo is not None and view.key != repo_key(repo):
                continue
            entries = [waiter.entry for waiter in view.waiters.values()]
            ordered = order_waiters(entries, now, self.qpolicy, view.grants_served)
            for position, entry in enumerate(ordered, start=1):
                if engineer is None or entry.request.engineer == engineer:
                    rows.append(self._wire(view, view.waiters[entry.queue_id], position, now))
        return rows

    def _wire(self, view: RepoView, waiter: Waiter, position: int, now: datetime) -> WireQueueEntry:
        request = waiter.entry.request
        decision = decide(request, _lookup(view)(request), self.book.policy.policy, now)
        blocking = decision.blocking_claim_ids
        holder = view.claims.get(blocking[0]) if blocking else None
        first = request.items[0]
        return WireQueueEntry(
            queue_id=waiter.queue_id,
            repo=view.repo,
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


def _lookup(view: RepoView) -> CandidateLookup:
    def candidates(request: ClaimRequest) -> list[ActiveClaim]:
        return view.candidates(item.pattern for item in request.items)

    return candidates


def _row(view: RepoView, waiter: Waiter) -> dict[str, object]:
    entry = waiter.entry
    return {
        "queue_id": entry.queue_id,
        "repo": view.key,
        "engineer": entry.request.engineer,
        "session_id": entry.request.session_id,
        "request": request_json(entry.request, waiter.context),
        "urgency": str(entry.urgency),
        "seq": entry.seq,
        "enqueued_at": entry.enqueued_at,
        "expires_at": waiter.expires_at,
        "state": str(QueueState.WAITING),
        "replica": waiter.replica,
    }


def _over_cap(message: str, setting: str) -> CoordError:
    return CoordError(ErrorCode.RATE_LIMITED, message, cap=setting, retry_after=CAP_RETRY_AFTER_SEC)
