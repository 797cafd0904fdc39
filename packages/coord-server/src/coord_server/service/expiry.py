"""Expiry: claims end on time, not lazily (SPEC §4.5), and orphaned queue entries end too.

Decisions ignore an expired claim from its expiry instant on; this sweep makes the expiry a
release (events, queue served behind it) within a moment of that instant, with no request
needed. It reads what is due from the database, so whichever replica leads sweeps for all of
them, and a release whose commit fails leaves its claims due: the next sweep tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from coord_server.service.arbiter import Arbiter
from coord_server.service.changes import Changes
from coord_server.service.claims import ClaimBook
from coord_server.service.queue import QueueDesk
from coord_server.service.records import ClaimRecord
from coord_server.service.sessions import SessionActivity
from coord_server.storage import Lease, Row, Store

logger = logging.getLogger("coord.expiry")

Clock = Callable[[], datetime]

BATCH = 1000
"""Due claims released per sweep round; the next round follows at once."""

RETRY_SEC = 1.0
"""Wait before sweeping again after a release failed to commit."""


@dataclass(slots=True)
class Swept:
    """What one sweep released, and whether everything due could be released."""

    released: list[str] = field(default_factory=list)
    complete: bool = True


class Expiry:
    """Releases due claims (TTL and idle sessions), and ends queue entries nobody can answer."""

    def __init__(
        self,
        store: Store,
        arbiter: Arbiter,
        book: ClaimBook,
        sessions: SessionActivity,
        desk: QueueDesk,
    ) -> None:
        self.store = store
        self.arbiter = arbiter
        self.book = book
        self.sessions = sessions
        self.desk = desk

    async def sweep(self, now: datetime) -> Swept:
        """Release what is due at `now`; a release that fails leaves its claims due."""
        ttl = await self.store.claims.due(now, BATCH)
        idle = await self.sessions.idle_claims(now)
        swept = Swept()
        for repo, reasons in _by_repo(ttl, idle).items():
            try:
                swept.released += await self._release(repo, reasons)
            except Exception:  # a boundary: the claims stay due and the next sweep retries
                logger.exception("releasing due claims of %r failed; retrying shortly", repo)
                swept.complete = False
        swept.complete = await self.desk.end_orphans() and swept.complete
        return swept

    async def _release(self, repo: str, reasons: dict[str, str]) -> list[str]:
        async with self.arbiter.hold([repo or None]) as unit:
            view = unit.view(repo or None)
            due: dict[str, list[ClaimRecord]] = {"expired": [], "idle": []}
            for claim_id, reason in reasons.items():
                record = view.claims.get(claim_id)
                if record is None:
                    continue  # released meanwhile
                if reason == "expired" and record.expires_at > unit.now:
                    continue  # extended meanwhile
                due[reason].append(record)
            return [
                record.id
                for reason, records in due.items()
                for record in await self.book.release(unit, records, reason)
            ]

    async def next_deadline(self) -> datetime | None:
        """The earliest instant something may expire."""
        moments = [await self.store.claims.next_expiry(), await self.sessions.next_idle_deadline()]
        present = [moment for moment in moments if moment is not None]
        return min(present) if present else None


def _by_repo(ttl: Sequence[Row], idle: Sequence[Row]) -> dict[str, dict[str, str]]:
    """repo key -> claim id -> reason (a claim both due and idle ends as expired)."""
    grouped: dict[str, dict[str, str]] = {}
    for row in idle:
        grouped.setdefault(row["repo"], {})[row["id"]] = "idle"
    for row in ttl:
        grouped.setdefault(row["repo"], {})[row["id"]] = "expired"
    return grouped


class ExpiryLoop:
    """Sweeps at the earliest deadline, or when told of an earlier one, while leading."""

    def __init__(self, expiry: Expiry, clock: Clock, lease: Lease, max_sleep_sec: float) -> None:
        self.expiry = expiry
        self.clock = clock
        self.lease = lease
        self.max_sleep_sec = max_sleep_sec
        self._wake = asyncio.Event()
        self._sleeping_until: datetime | None = None
        self.swept = asyncio.Event()
        """Set after every sweep (tests wait on it)."""

    def notify(self, deadline: datetime | None) -> None:
        """A deadline exists (None: unknown); wake if it is earlier than the one slept until."""
        if deadline is None or self._sleeping_until is None or deadline < self._sleeping_until:
            self._wake.set()

    async def committed(self, changes: Changes, _events: Sequence[Row]) -> None:
        """After a commit: wake for the earliest deadline it created or moved."""
        if changes.deadlines:
            self.notify(min(changes.deadlines))

    async def run(self) -> None:
        """Run until cancelled."""
        while True:
            await self.lease.wait_leading()
            try:
                ok = (await self.expiry.sweep(self.clock())).complete
            except Exception:  # a boundary: one failed sweep must not stop expiry for good
                logger.exception("expiry sweep failed; retrying shortly")
                ok = False
            self.swept.set()
            await self._sleep(retry=not ok)

    async def _sleep(self, retry: bool) -> None:
        # Cleared before the deadline is read: a notice arriving meanwhile still wakes us.
        self._wake.clear()
        timeout = RETRY_SEC if retry else self.max_sleep_sec
        try:
            deadline = await self.expiry.next_deadline()
        except Exception:  # the database is away: look again shortly
            logger.warning("reading the next deadline failed", exc_info=True)
            deadline, timeout = None, RETRY_SEC
        self._sleeping_until = deadline
        if deadline is not None:
            remaining = (deadline - self.clock()).total_seconds()
            timeout = min(timeout, max(remaining, 0.0))
        try:
            # Not asyncio.wait_for: on Python 3.11 its inner task can swallow a cancellation,
            # and the app's shutdown then waits for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
        finally:
            self._sleeping_until = None
