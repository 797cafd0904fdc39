"""The expiry loop: sleeps until the next deadline and releases what is due, on time (SPEC §4.5)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from coord_server.service.claims import ClaimService

logger = logging.getLogger("coord.expiry")


class ExpiryLoop:
    """Wakes at the earliest claim or session deadline, or when told of an earlier one."""

    def __init__(self, claims: ClaimService, max_sleep_sec: float) -> None:
        self.claims = claims
        self.max_sleep_sec = max_sleep_sec
        self._wake = asyncio.Event()
        self._sleeping_until: datetime | None = None
        claims.grant_listeners.append(lambda records: self.notify(records[0].expires_at))
        claims.sessions.on_schedule = self.notify

    def notify(self, deadline: datetime | None) -> None:
        """A new deadline exists; wake the loop if it is earlier than the one it sleeps until."""
        if deadline is not None and (
            self._sleeping_until is None or deadline < self._sleeping_until
        ):
            self._wake.set()

    async def run(self) -> None:
        """Run until cancelled."""
        while True:
            try:
                self.claims.expire_due(self.claims.clock())
            except Exception:  # a boundary: one failed sweep must not stop expiry for good
                logger.exception("expiry sweep failed; retrying at the next deadline")
            await self._sleep()

    async def _sleep(self) -> None:
        deadline = self.claims.next_deadline()
        self._sleeping_until = deadline
        timeout = self.max_sleep_sec
        if deadline is not None:
            remaining = (deadline - self.claims.clock()).total_seconds()
            timeout = min(timeout, max(remaining, 0.0))
        self._wake.clear()
        try:
            # Not asyncio.wait_for: on Python 3.11 its inner task can swallow a cancellation,
            # and the app's shutdown then waits for this loop forever.
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass
        finally:
            self._sleeping_until = None
