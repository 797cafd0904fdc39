"""Retention: a background task that purges audit rows older than `COORD_RETENTION_DAYS`.

What goes: events, blocked claim attempts, finished webhook deliveries and finished queue
entries. What stays: rows still in use (waiting queue entries, deliveries not yet made, the
newest event), and whatever the hotspot, auto-promote/demote and auto-resolution windows read:
the event log and the blocked attempts are kept at least `analysis_floor_days` even when the
retention is set shorter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from coord_server.settings import Settings
from coord_server.storage import Lease, Store
from coord_server.storage.retention import RETAINED

logger = logging.getLogger("coord.retention")

Clock = Callable[[], datetime]

SWEEP_INTERVAL_SEC = 3600.0
"""How often old rows are looked for; the first sweep runs at start."""

BATCH_ROWS = 2000
"""Rows deleted per statement: short transactions, so claims never wait long for the writer."""

REPORT_WINDOW_DAYS = 30
"""Default window of `GET /metrics/hotspots` and `GET /metrics/auto-resolutions`."""

ANALYSED = frozenset({"events", "blocked_attempts", "shared_contention"})
"""Tables the hotspot and auto-resolution windows read."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many days each retained table keeps."""

    retention_days: int
    analysis_floor_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        """Retention from `COORD_RETENTION_DAYS`, with the floor the windows need."""
        # Auto-demote asks whether an entry stayed quiet for its window, counting attempts over
        # the promote window at each point of it: both windows back to back must be on record.
        windows = settings.auto_promote_window_days + settings.auto_demote_window_days
        return cls(settings.retention_days, max(REPORT_WINDOW_DAYS, windows))

    def days(self, table: str) -> int:
        """Days of rows `table` keeps."""
        if table in ANALYSED:
            return max(self.retention_days, self.analysis_floor_days)
        return self.retention_days

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """Per retained table, the instant before which its rows go."""
        return {table: now - timedelta(days=self.days(table)) for table in RETAINED}


class Retention:
    """Purges old rows now and then, in small batches, until cancelled."""

    def __init__(self, store: Store, policy: RetentionPolicy, clock: Clock, lease: Lease) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.lease = lease
        self.swept = asyncio.Event()
        """Set after every sweep (tests wait on it)."""

    async def purge(self, now: datetime) -> dict[str, int]:
        """Delete every row past its table's cutoff; the count deleted per table."""
        purged: dict[str, int] = {}
        for table, before in self.policy.cutoffs(now).items():
            purged[table] = 0
            while True:
                deleted = await self.store.retained.purge(table, before, BATCH_ROWS)
                purged[table] += deleted
                if deleted < BATCH_ROWS:
                    break
                await asyncio.sleep(0)  # let requests in between batches
        return purged

    async def run(self) -> None:
        """Sweep at start (of leading) and then every `SWEEP_INTERVAL_SEC`, while leading."""
        while True:
            await self.lease.wait_leading()
            try:
                purged = await self.purge(self.clock())
                if any(purged.values()):
                    logger.info("retention purged %s", purged)
            except Exception:  # a boundary: a failed sweep is retried at the next interval
                logger.exception("retention sweep failed; trying again later")
            self.swept.set()
            await asyncio.sleep(SWEEP_INTERVAL_SEC)
