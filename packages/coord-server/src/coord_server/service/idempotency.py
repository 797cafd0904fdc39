"""Idempotency keys: a retried POST within 24 h gets the first answer and changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from starlette.responses import Response

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.storage.store import Store

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 200


class Idempotency:
    """Remembers answers by (principal, route, key) in the database."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._inflight: dict[str, asyncio.Future[Response]] = {}

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
        stored = self._stored(full_key, digest)
        if stored is not None:
            return stored
        if full_key in self._inflight:  # the same retry while the first is still running
            first = await asyncio.shield(self._inflight[full_key])
            return _replay(first.status_code, bytes(first.body))
        return await self._first(full_key, digest, produce)

    async def _first(
        self, full_key: str, digest: str, produce: Callable[[], Awaitable[Response]]
    ) -> Response:
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._inflight[full_key] = future
        try:
            response = await produce()
            if response.status_code < 500:
                with self.store.transaction() as tx:
                    tx.save_idempotent(full_key, digest, response.status_code,
                                       bytes(response.body).decode(), self.clock())  # fmt: skip
            future.set_result(response)
            return response
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: a lone first call must not warn on exit
            raise
        finally:
            del self._inflight[full_key]

    def _stored(self, full_key: str, digest: str) -> Response | None:
        row = self.store.idempotent(full_key)
        if row is None:
            return None
        if self.clock() - row["created_at"] > KEY_LIFETIME:
            self.purge()  # the key may be used afresh; its old answer must not block the insert
            return None
        if row["request_hash"] != digest:
            raise CoordError(
                ErrorCode.IDEMPOTENCY_MISMATCH,
                "this Idempotency-Key was already used with a different body; use a new key "
                "for a new request.",
            )
        return _replay(row["status_code"], row["body"].encode())

    def purge(self) -> None:
        """Forget keys older than their lifetime."""
        self.store.purge_idempotency(self.clock() - KEY_LIFETIME)


def _replay(status: int, body: bytes) -> Response:
    return Response(
        body, status_code=status, media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )  # fmt: skip
