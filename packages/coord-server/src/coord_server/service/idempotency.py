"""Idempotency keys: a retried POST within 24 h gets the first answer and changes nothing.

The key is taken in the database before the first request runs, so a retry on any replica
finds it: answered (the stored answer is replayed), or still running (the retry waits for it).
Only an answer the client received is stored: never a 5xx, never the 499 of a caller that hung
up; such a key is dropped, and a retry runs afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from starlette.responses import Response

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.errors import CLIENT_CLOSED_REQUEST
from coord_server.service.signals import Signal, Signals
from coord_server.storage import Row, Store, Transaction

KEY_LIFETIME = timedelta(hours=24)
RECHECK_SEC = 0.5
MAX_KEY_LENGTH = 200

ABANDONED_AFTER = timedelta(seconds=660)
"""A key still unanswered this long after it was taken belongs to a request whose replica died
(no request runs longer: the longest wait is 600 s); a retry may then run afresh."""


class Idempotency:
    """Remembers answers by (principal, route, key) in the database."""

    def __init__(self, store: Store, clock: Callable[[], datetime], signals: Signals) -> None:
        self.store = store
        self.clock = clock
        self.signals = signals
        self._done: dict[str, asyncio.Event] = {}

    async def run(
        self, key: str | None, scope: str, body: bytes, produce: Callable[[], Awaitable[Response]]
    ) -> Response:
        """Answer with `produce()`, or with the stored answer of an earlier call with `key`."""
        if key is None:
            return await produce()
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters.",
            )
        full_key = f"{scope}\n{key}"
        digest = hashlib.sha256(body).hexdigest()
        while True:
            row = await self.store.idempotency.get(full_key)
            if row is None:
                if await self.store.idempotency.take(full_key, digest, self.clock()):
                    return await self._first(full_key, produce)
                continue  # another replica took it a moment ago: read it
            replay = await self._stored(full_key, digest, row)
            if replay is not None:
                return replay

    async def _stored(self, full_key: str, digest: str, row: Row) -> Response | None:
        """The replay of an answered key; None after waiting for (or dropping) a pending one."""
        age = self.clock() - row["created_at"]
        if row["status_code"] is not None and age > KEY_LIFETIME:
            await self.purge()  # the key may be used afresh; its old answer must not block it
            return None
        if row["request_hash"] != digest:
            raise CoordError(
                ErrorCode.IDEMPOTENCY_MISMATCH,
                "this Idempotency-Key was already used with a different body; use a new key "
                "for a new request.",
            )
        if row["status_code"] is not None:
            return _replay(row["status_code"], row["body"].encode())
        if age > ABANDONED_AFTER:
            await self.store.idempotency.forget(full_key, self._tell([full_key]))
            return None
        await self._wait_for(full_key)
        return None

    async def _wait_for(self, full_key: str) -> None:
        # Woken when the first request ends; the row is read again at least this often, so an
        # ending announced between reading the row and starting to wait is not missed.
        done = self._done.setdefault(_digest(full_key), asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RECHECK_SEC):
                await done.wait()

    async def _first(self, full_key: str, produce: Callable[[], Awaitable[Response]]) -> Response:
        try:
            response = await produce()
        except BaseException:
            await asyncio.shield(self._drop(full_key))
            raise
        status = response.status_code
        if status < 500 and status != CLIENT_CLOSED_REQUEST:
            body = bytes(response.body).decode()
            await self.store.idempotency.answer(full_key, status, body, self._tell([full_key]))
        else:
            await self._drop(full_key)
        self.done([_digest(full_key)])
        return response

    async def _drop(self, full_key: str) -> None:
        await self.store.idempotency.forget(full_key, self._tell([full_key]))
        self.done([_digest(full_key)])

    def _tell(self, full_keys: Iterable[str]) -> Callable[[Transaction], None]:
        signal = Signal(idempotency_keys=[_digest(key) for key in full_keys])
        return lambda tx: self.signals.send(tx, signal)

    def done(self, digests: Iterable[str]) -> None:
        """These keys were answered or dropped (here or on another replica): waiters look."""
        for digest in digests:
            event = self._done.pop(digest, None)
            if event is not None:
                event.set()

    def wake_all(self) -> None:
        """Every waiter looks again (after the replica signals were lost)."""
        self.done(list(self._done))

    async def purge(self) -> None:
        """Forget keys older than their lifetime."""
        await self.store.idempotency.purge(self.clock() - KEY_LIFETIME)


def _digest(full_key: str) -> str:
    """A short, fixed-size name of a key for signals (the key itself can be 400 characters)."""
    return hashlib.sha256(full_key.encode()).hexdigest()[:32]


def _replay(status: int, body: bytes) -> Response:
    return Response(
        body, status_code=status, media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )  # fmt: skip
