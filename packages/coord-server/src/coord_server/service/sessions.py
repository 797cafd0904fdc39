"""Session activity: who was heard from when, and which sessions have gone idle (SPEC §2).

Activity is written to the database at most once per `flush_interval` per session and replica:
a busy agent would otherwise cost a write per request. Idle expiry reads the database (every
replica's activity is there), and this replica's own unwritten activity on top: on one process
it is exact; across replicas a session can look up to one flush interval older than it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from coord_server.storage import Row, Store

FLUSH_INTERVAL_SEC = 1.0


class SessionActivity:
    """Last activity per session, written through with a small delay."""

    def __init__(
        self, store: Store, idle_timeout_sec: float, flush_interval_sec: float = FLUSH_INTERVAL_SEC
    ) -> None:
        self.store = store
        self.idle_timeout = timedelta(seconds=idle_timeout_sec)
        self.flush_interval = timedelta(seconds=flush_interval_sec)
        self.last_seen: dict[str, datetime] = {}
        self._written: dict[str, datetime] = {}
        self._owners: dict[str, str] = {}
        """Owners seen (an owner never changes, so a replica may keep it)."""

    @property
    def enabled(self) -> bool:
        """Idle expiry is on (COORD_IDLE_TIMEOUT_SEC > 0)."""
        return self.idle_timeout > timedelta(0)

    async def owner(self, session_id: str) -> str | None:
        """The principal that first used the session, if any has yet."""
        known = self._owners.get(session_id)
        if known is None:
            _, known = await self.store.sessions.owner(session_id)
            if known is not None:
                self._owners[session_id] = known
        return known

    async def touch(self, session_id: str, principal: str | None, now: datetime) -> None:
        """Count a request carrying `session_id` as activity; `principal` owns it if nobody
        does yet (an unowned session is written at once, so the owner is not left unsaid)."""
        self.last_seen[session_id] = now
        written = self._written.get(session_id)
        claiming = principal is not None and session_id not in self._owners
        if claiming or written is None or now - written >= self.flush_interval:
            async with self.store.transaction() as tx:
                await self.store.sessions.touch(tx, session_id, principal, now)
            self._written[session_id] = now

    async def activity(self, session_ids: Iterable[str]) -> dict[str, datetime]:
        """Last activity of the given sessions (stored, or newer as seen here)."""
        wanted = sorted(set(session_ids))
        stored = await self.store.sessions.last_activity(wanted) if wanted else {}
        for session_id in wanted:
            seen = self.last_seen.get(session_id)
            if seen is not None and (session_id not in stored or seen > stored[session_id]):
                stored[session_id] = seen
        return stored

    async def idle_claims(self, now: datetime) -> list[Row]:
        """Active claims (`id`, `repo`, `session_id`) of sessions idle at `now`."""
        if not self.enabled:
            return []
        cutoff = now - self.idle_timeout
        rows = await self.store.sessions.idle_claims(cutoff)
        heard = {
            row["session_id"]
            for row in rows
            if self.last_seen.get(row["session_id"], cutoff) > cutoff
        }
        if heard:
            # Heard from here since last written: not idle after all. Writing it now moves the
            # stored deadline, so the expiry loop does not wake for it again at once.
            async with self.store.transaction() as tx:
                for session_id in sorted(heard):
                    await self.store.sessions.touch(
                        tx, session_id, None, self.last_seen[session_id]
                    )
                    self._written[session_id] = self.last_seen[session_id]
        return [row for row in rows if row["session_id"] not in heard]

    async def next_idle_deadline(self) -> datetime | None:
        """The earliest instant a session holding claims may go idle."""
        if not self.enabled:
            return None
        oldest = await self.store.sessions.oldest_activity_with_claims()
        return None if oldest is None else oldest + self.idle_timeout
