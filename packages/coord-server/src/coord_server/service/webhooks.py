"""Webhook delivery: a background task POSTs due outbox rows to `COORD_WEBHOOK_URL` (SPEC §9).

Delivery never runs inside a request. Requests only write outbox rows (in their own
transaction); this task reads the due rows, sends each with its own timeouts and records the
outcome, so a slow or dead receiver costs claim traffic nothing but those rows. An attempt cut
short by a shutdown leaves its row untouched and due, so the next start sends it again:
at-least-once, never at-most-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from coord_server.service.changes import Changes
from coord_server.service.outbox import Outbox
from coord_server.settings import Settings
from coord_server.storage import Lease, Row, Store

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("coord.webhooks")

Clock = Callable[[], datetime]

ATTEMPT_TIMEOUT_SEC = 10.0
"""Longest one attempt may take: a hanging receiver costs one slot for this long, no more."""

CONNECT_TIMEOUT_SEC = 5.0
"""Longest wait for the receiver to accept the connection, within the attempt's time."""

BATCH_SIZE = 64
"""Due rows read per round."""

CONCURRENCY = 16
"""Attempts in flight at once, so one slow receiver answer does not hold up the rest."""

ERROR_TEXT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Where deliveries go and how hard they are retried."""

    url: str
    secret: str | None
    max_attempts: int
    backoff_sec: float
    interval_sec: float

    @classmethod
    def from_settings(cls, settings: Settings, url: str) -> DeliveryPolicy:
        """The policy the `COORD_WEBHOOK_*` settings describe."""
        return cls(
            url=url,
            secret=settings.webhook_secret,
            # Zero retries still means one attempt: the event was promised to the receiver.
            max_attempts=max(1, settings.webhook_max_retries),
            backoff_sec=settings.webhook_retry_backoff_sec,
            interval_sec=settings.webhook_delivery_interval_sec,
        )

    def retry_delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt: backoff * 2**(attempts - 1)."""
        return timedelta(seconds=self.backoff_sec * 2 ** (attempts - 1))


def signature(secret: str, body: bytes) -> str:
    """`X-Coord-Signature`: lowercase hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_headers(row: Row, body: bytes, secret: str | None) -> dict[str, str]:
    """Headers of every attempt of one delivery (identical on each retry)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "coord-webhook",
        "X-Coord-Event-Type": row["event_type"],
        "X-Coord-Delivery-Id": row["delivery_id"],
    }
    if secret:
        headers["X-Coord-Signature"] = signature(secret, body)
    return headers


def outcome(
    row: Row, status: int | None, error: str | None, now: datetime, policy: DeliveryPolicy
) -> dict[str, Any]:
    """Column values after one attempt: delivered, failed (retry scheduled) or exhausted."""
    attempts = row["attempts"] + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status": status,
        "last_error": error,
    }
    if error is None:
        return {**values, "state": "delivered", "delivered_at": now, "next_attempt_at": None}
    if attempts >= policy.max_attempts:
        return {**values, "state": "exhausted", "next_attempt_at": None}
    return {**values, "state": "failed", "next_attempt_at": now + policy.retry_delay(attempts)}


class WebhookDeliverer:
    """Sends due outbox rows, one round after another, until cancelled."""

    def __init__(
        self,
        store: Store,
        policy: DeliveryPolicy,
        clock: Clock,
        lease: Lease,
        outbox: Outbox,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self.lease = lease
        self.outbox = outbox
        self.transport = transport
        self._wake = asyncio.Event()
        self.recorded = asyncio.Event()
        """Set each time an attempt's outcome is stored (tests and tools wait on it)."""

    def notify(self) -> None:
        """New or re-armed rows exist: start a round now instead of at the next interval."""
        self._wake.set()

    async def committed(self, _changes: Changes, events: Sequence[Row]) -> None:
        """After a commit: wake for the events it stored that have a delivery."""
        if any(self.outbox.wants(event["event_type"]) for event in events):
            self.notify()

    async def run(self) -> None:
        """Deliver while this replica leads, until cancelled; a failing round is logged."""
        # Imported here: only a service with webhooks configured pays for loading httpx.
        import httpx  # noqa: PLC0415

        timeout = httpx.Timeout(ATTEMPT_TIMEOUT_SEC, connect=CONNECT_TIMEOUT_SEC)
        async with httpx.AsyncClient(timeout=timeout, transport=self.transport) as client:
            while True:
                await self.lease.wait_leading()
                try:
                    await self.deliver_due(client)
                except Exception:  # a boundary: delivery must outlive one bad round
                    logger.exception("webhook delivery round failed; trying again later")
                await self._sleep()

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Attempt every row due now; the number of attempts made."""
        attempted = 0
        while True:
            self._wake.clear()
            if not self.lease.leading:
                return attempted
            rows = await self.store.outbox.due(self.clock(), BATCH_SIZE)
            await self._attempt_all(client, rows)
            attempted += len(rows)
            if len(rows) < BATCH_SIZE:
                return attempted

    async def _attempt_all(self, client: httpx.AsyncClient, rows: Sequence[Row]) -> None:
        slots = asyncio.Semaphore(CONCURRENCY)

        async def attempt(row: Row) -> None:
            async with slots:
                await self._attempt(client, row)

        await asyncio.gather(*(attempt(row) for row in rows))

    async def _attempt(self, client: httpx.AsyncClient, row: Row) -> None:
        import httpx  # noqa: PLC0415 - loaded by `run` already; the name is needed here

        body = row["body"].encode()
        headers = delivery_headers(row, body, self.policy.secret)
        status: int | None = None
        error: str | None = None
        try:
            async with client.stream(
                "POST", self.policy.url, content=body, headers=headers
            ) as answer:
                status = answer.status_code  # the body is never read: a receiver cannot flood us
            if not 200 <= status < 300:
                error = f"the receiver answered HTTP {status}"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # a bad URL fails like a dead host
            error = f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]
        values = outcome(row, status, error, self.clock(), self.policy)
        await self.store.outbox.record(row["id"], **values)
        self.recorded.set()
        if values["state"] == "exhausted":
            logger.warning(
                "webhook delivery %s (%s) exhausted after %d attempts: %s",
                row["delivery_id"], row["event_type"], values["attempts"], error,
            )  # fmt: skip

    async def _sleep(self) -> None:
        timeout = self.policy.interval_sec
        due = await self.store.outbox.next_due()
        if due is not None:
            timeout = min(timeout, max((due - self.clock()).total_seconds(), 0.0))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):  # not wait_for: see service/expiry.py
                await self._wake.wait()


def webhook_deliverer(
    store: Store, settings: Settings, clock: Clock, lease: Lease
) -> WebhookDeliverer | None:
    """Wire webhooks into `store` when `COORD_WEBHOOK_URL` is set; the deliverer to run, if any.

    From here on every transaction writes outbox rows for the allowlisted events it records.
    """
    if settings.webhook_url is None:
        return None
    outbox = Outbox(settings.webhook_events)
    store.events.outbox_rows = outbox.rows_for
    policy = DeliveryPolicy.from_settings(settings, settings.webhook_url)
    return WebhookDeliverer(store, policy, clock, lease, outbox)
