"""When each claim expires, kept in a heap so the next deadline is found without a scan."""

from __future__ import annotations

import heapq
from datetime import datetime


class Deadlines:
    """A min-heap of (expiry, claim id); stale entries (extended claims) are skipped by callers."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, str]] = []

    def add_claim(self, claim_id: str, expires_at: datetime) -> None:
        """Remember that `claim_id` expires at `expires_at` (an extension adds a new entry)."""
        heapq.heappush(self._heap, (expires_at, claim_id))

    def due_claims(self, now: datetime) -> list[str]:
        """Pop the claims whose recorded expiry is at or before `now`."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            due.append(heapq.heappop(self._heap)[1])
        return due

    def next_due(self) -> datetime | None:
        """The earliest recorded expiry."""
        return self._heap[0][0] if self._heap else None
