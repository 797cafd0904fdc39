"""A commit that fails (a busy or full disk) loses nothing: expiry and queue grants try again.

The store is wrapped so that one chosen transaction raises where it would commit; the database
rolls it back, as it would after a real failed commit. Afterwards the claim is released on the
retry, the waiter gets its answer, and no row is left half changed (SPEC §4.5: expiry is on
time; SPEC §6: a waiter is answered).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from server_support import FakeClock, claim_body, eventually
from starlette.responses import Response

from coord_protocol.vocab import QueueState
from coord_server.context import AppContext
from coord_server.storage import Store, Transaction

pytestmark = pytest.mark.anyio


class FailingCommits:
    """Makes the next `armed` transactions of a store fail instead of committing."""

    def __init__(self, store: Store) -> None:
        self.armed = 0
        self.failed = 0
        self._real = store.transaction
        store.transaction = self.transaction  # type: ignore[method-assign]

    def transaction(self, locks: Sequence[str] = ()) -> AbstractAsyncContextManager[Transaction]:
        return self._failing(locks)

    @asynccontextmanager
    async def _failing(self, locks: Sequence[str]) -> AsyncIterator[Transaction]:
        async with self._real(locks) as tx:
            yield tx
            if self.armed:
                self.armed -= 1
                self.failed += 1
                raise OSError("disk I/O error (injected before the commit)")


async def _queued(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    listed = (await client.get("/requests", params={"queued": "true"})).json()
    rows: list[dict[str, Any]] = listed["requests"]
    return rows


async def _active(client: httpx.AsyncClient, engineer: str) -> list[dict[str, Any]]:
    listed = (await client.get("/claims", params={"engineer": engineer})).json()
    rows: list[dict[str, Any]] = listed["claims"]
    return rows


async def test_a_due_claim_whose_release_fails_stays_due_and_is_released_on_the_retry(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, ctx, clock = clocked
    faults = FailingCommits(ctx.store)
    await client.post("/claims", json=claim_body("alex", "a.ts", ttl_hours=1))
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=60))
    )
    await eventually(lambda: _has_waiters(client))
    clock.advance(hours=1)

    faults.armed = 1
    failed = await ctx.expiry.sweep(clock.now)

    assert failed.released == [] and not failed.complete and faults.failed == 1
    assert await ctx.expiry.next_deadline() == clock.now, "the claim is still due"
    assert len(await _queued(client)) == 1, "the waiter still waits"

    retried = await ctx.expiry.sweep(clock.now)

    assert len(retried.released) == 1 and retried.complete
    granted = await asyncio.wait_for(waiting, timeout=10)
    assert granted.status_code == 200
    assert [row["engineer"] for row in await _active(client, "sam")] == ["sam"]
    assert await _active(client, "alex") == []


async def _has_waiters(client: httpx.AsyncClient) -> bool:
    return len(await _queued(client)) == 1


async def test_a_queue_grant_whose_commit_fails_is_served_again_and_answered(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, ctx, _clock = clocked
    faults = FailingCommits(ctx.store)
    held = (await client.post("/claims", json=claim_body("alex", "a.ts"))).json()["claim_ids"]
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=60))
    )
    await eventually(lambda: _has_waiters(client))
    (entry,) = await _queued(client)
    real_serve = ctx.desk.serve

    async def serve_with_a_failed_commit(keys: Any) -> None:
        faults.armed = 1  # the release has committed; the first grant after it fails
        ctx.desk.serve = real_serve  # type: ignore[method-assign]
        await real_serve(keys)

    ctx.desk.serve = serve_with_a_failed_commit  # type: ignore[method-assign]
    released = await client.post("/claims/release", json={"claim_ids": held})

    assert released.status_code == 200
    granted = await asyncio.wait_for(waiting, timeout=30)
    assert faults.failed == 1
    assert granted.status_code == 200, granted.text
    (claim,) = await _active(client, "sam")
    assert granted.json()["claim_ids"] == [claim["id"]]
    row = await ctx.store.queue.get(entry["queue_id"])
    assert row is not None and row["state"] == QueueState.GRANTED
    assert await _queued(client) == []


async def test_shortening_a_claim_wakes_the_expiry_loop_for_the_queue_behind_it(
    client: httpx.AsyncClient,
) -> None:
    # Real clock and background loop: the holder's hour would outlast the waiter's 30 s; only
    # the extend to under a second, waking the loop, lets the waiter in before its deadline.
    held = await client.post("/claims", json=claim_body("alex", "a.ts", ttl_hours=1))
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=30))
    )
    await eventually(lambda: _has_waiters(client))
    claim_id = held.json()["claim_ids"][0]

    shortened = await client.post(
        f"/claims/{claim_id}/extend", json={"engineer": "alex", "ttl_hours": 0.0002}
    )

    assert shortened.status_code == 200
    granted = await asyncio.wait_for(waiting, timeout=60)
    assert granted.status_code == 200, granted.text
    assert granted.json()["claims"][0]["engineer"] == "sam"


@pytest.mark.parametrize("unreceived", [499, 500, 503])
async def test_an_idempotency_key_never_replays_an_answer_nobody_received(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock], unreceived: int
) -> None:
    _client, ctx, _clock = clocked
    produced: list[int] = []

    def producing(status: int) -> Any:
        async def produce() -> Response:
            produced.append(status)
            return Response(b"{}", status_code=status, media_type="application/json")

        return produce

    first = await ctx.idempotency.run("key-1", "alex:POST /claims", b"{}", producing(unreceived))
    second = await ctx.idempotency.run("key-1", "alex:POST /claims", b"{}", producing(200))
    third = await ctx.idempotency.run("key-1", "alex:POST /claims", b"{}", producing(201))

    assert first.status_code == unreceived
    assert second.status_code == 200, "the request ran again instead of replaying"
    assert third.status_code == 200, "the received answer is the one replayed"
    assert produced == [unreceived, 200]
