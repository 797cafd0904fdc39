"""Session activity: who was heard from when, and which sessions have gone idle (SPEC §2).

Activity is kept in memory and written to the database at most once per `flush_interval` per
session: a busy agent would otherwise cost a write per request. After a restart a session may
therefore look up to that interval older than it was, which only ever shortens its idle time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime, timedelta

from coord_server.storage.store import Store


class SessionActivity:
    """Last activity per session, and a heap of idle deadlines."""

    def __init__(
        self, store: Store, idle_timeout_sec: float, flush_interval_sec: float = 10.0
    ) -> None:
        self.store = store
        self.idle_timeout = timedelta(seconds=idle_timeout_sec)
        self.flush_interval = timedelta(seconds=flush_interval_sec)
        self.last_seen: dict[str, datetime] = {}
        self._persisted: dict[str, datetime] = {}
        self._owners: dict[str, str | None] = {}
        self._idle_heap: list[tuple[datetime, str]] = []
        self._scheduled: set[str] = set()
        self.on_schedule: Callable[[datetime], None] | None = None
        """Told of every new idle deadline, so the expiry loop can wake for it."""

    @property
    def enabled(self) -> bool:
        """Idle expiry is on (COORD_IDLE_TIMEOUT_SEC > 0)."""
        return self.idle_timeout > timedelta(0)

    def load(self) -> None:
        """Restore last activity from the database."""
        for session_id, at in self.store.sessions().items():
            self.last_seen[session_id] = at
            self._persisted[session_id] = at
            self._schedule(session_id)

    def touch(self, session_id: str, principal: str | None, now: datetime) -> None:
        """Count a request carrying `session_id` as activity."""
        self.last_seen[session_id] = now
        self._owners.setdefault(session_id, principal)
        persisted = self._persisted.get(session_id)
        if persisted is None or now - persisted >= self.flush_interval:
            with self.store.transaction() as tx:
                tx.touch_session(session_id, self._owners[session_id], now)
            self._persisted[session_id] = now
        self._schedule(session_id)

    def _schedule(self, session_id: str) -> None:
        if self.enabled and session_id not in self._scheduled:
            deadline = self.last_seen[session_id] + self.idle_timeout
            heapq.heappush(self._idle_heap, (deadline, session_id))
            self._scheduled.add(session_id)
            if self.on_schedule is not None:
                self.on_schedule(deadline)

    def idle_sessions(self, now: datetime) -> list[str]:
        """Sessions silent for the idle timeout at `now`; busy ones are rescheduled."""
        idle = []
        while self._idle_heap and self._idle_heap[0][0] <= now:
            _, session_id = heapq.heappop(self._idle_heap)
            self._scheduled.discard(session_id)
            if self.last_seen[session_id] + self.idle_timeout <= now:
                idle.append(session_id)
            else:
                self._schedule(session_id)
        return idle

    def next_idle_deadline(self) -> datetime | None:
        """The earliest instant a session may go idle."""
        return self._idle_heap[0][0] if self._idle_heap else None
