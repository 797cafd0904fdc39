"""The queue (SPEC §6) and expiry (SPEC §4.5) over the API: long-polls, cancel, deadlines."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from server_support import FakeClock, claim_body, eventually, serve

from coord_protocol.claims import CreateClaimsRequest
from coord_protocol.vocab import QueueState
from coord_server.app import create_app
from coord_server.context import AppContext

pytestmark = pytest.mark.anyio


async def _queued(client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    """Wait (on the server's own state, not on time) until `count` entries are queued."""
    seen: list[dict[str, Any]] = []

    async def parked() -> bool:
        listed = (await client.get("/requests", params={"queued": "true"})).json()
        seen[:] = listed["requests"]
        return bool(listed["count"] >= count)

    await eventually(parked)
    return seen


async def test_waiter_is_granted_when_holder_releases(client: httpx.AsyncClient) -> None:
    held = (await client.post("/claims", json=claim_body("alex", "src/auth/**"))).json()
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "src/auth/login.ts", wait_seconds=30))
    )
    (entry,) = await _queued(client, 1)
    assert entry["kind"] == "queued" and entry["state"] == "waiting"
    assert entry["blocking_claim_id"] == held["claim_ids"][0]
    assert entry["blocking_engineer"] == "alex" and entry["blocking_pattern"] == "src/auth/**"
    assert (
        entry["requester_engineer"] == "sam" and entry["requester_pattern"] == "src/auth/login.ts"
    )
    assert entry["position"] == 1 and entry["priority"] == "normal"
    await client.delete(f"/claims/{held['claim_ids'][0]}")
    granted = await asyncio.wait_for(waiting, timeout=10)
    assert granted.status_code == 200
    assert granted.json()["queue_id"] == entry["queue_id"]
    assert granted.json()["claims"][0]["engineer"] == "sam"
    assert (await client.get("/requests", params={"queued": "true"})).json()["count"] == 0


async def test_one_release_grants_every_disjoint_waiter(client: httpx.AsyncClient) -> None:
    held = (await client.post("/claims", json=claim_body("alex", "src/**"))).json()
    waiters = []
    for count, (name, path) in enumerate([("sam", "src/a.ts"), ("kim", "src/b.ts"),
                                           ("lee", "src/a.ts")], start=1):  # fmt: skip
        body = claim_body(name, path, wait_seconds=30)
        waiters.append(asyncio.create_task(client.post("/claims", json=body)))
        await _queued(client, count)  # one after the other: the queue keeps arrival order
    await client.post("/claims/release", json={"claim_ids": held["claim_ids"]})
    sam, kim = await asyncio.gather(*waiters[:2])
    assert sam.status_code == 200 and kim.status_code == 200
    listed = await _queued(client, 1)
    assert [e["requester_engineer"] for e in listed] == ["lee"]
    assert listed[0]["blocking_engineer"] == "sam", "lee now waits on the new holder"
    await client.delete(f"/claims/{sam.json()['claim_ids'][0]}")
    assert (await asyncio.wait_for(waiters[2], 10)).status_code == 200


async def test_higher_urgency_is_served_first(client: httpx.AsyncClient) -> None:
    held = (await client.post("/claims", json=claim_body("alex", "hot.ts"))).json()
    low = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "hot.ts", wait_seconds=30, urgency="low"))
    )
    await _queued(client, 1)
    urgent = asyncio.create_task(
        client.post(
            "/claims", json=claim_body("kim", "hot.ts", wait_seconds=30, urgency="blocking")
        )
    )
    order = [e["requester_engineer"] for e in await _queued(client, 2)]
    assert order == ["kim", "sam"]
    await client.delete(f"/claims/{held['claim_ids'][0]}")
    assert (await asyncio.wait_for(urgent, 10)).status_code == 200
    assert not low.done()
    low.cancel()


async def test_cancel_answers_the_waiter_409_at_once(client: httpx.AsyncClient) -> None:
    await client.post("/claims", json=claim_body("alex", "a.ts"))
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=300))
    )
    (entry,) = await _queued(client, 1)
    cancelled = await client.delete(f"/requests/{entry['queue_id']}")
    assert cancelled.json() == {"ok": True, "cancelled": True, "queue_id": entry["queue_id"]}
    answer = await asyncio.wait_for(waiting, timeout=10)
    assert answer.status_code == 409
    assert "cancelled" in answer.json()["next_step"]
    assert (await client.delete(f"/requests/{entry['queue_id']}")).status_code == 404


async def test_deadline_answers_409_with_current_conflicts(client: httpx.AsyncClient) -> None:
    await client.post("/claims", json=claim_body("alex", "a.ts"))
    answer = await client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=1))
    assert answer.status_code == 409
    assert answer.json()["conflicts"][0]["conflicting_claim"]["engineer"] == "alex"
    assert answer.json()["queue_id"]


async def test_queue_depth_header_counts_the_engineers_waiters(client: httpx.AsyncClient) -> None:
    await client.post("/claims", json=claim_body("alex", "a.ts"))
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=60))
    )
    await _queued(client, 1)
    answer = await client.get("/claims", params={"engineer": "sam"})
    assert answer.headers["X-Coord-Queue-Depth"] == "1"
    waiting.cancel()


async def test_expired_claim_stops_blocking_at_its_instant(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, _ctx, clock = clocked
    await client.post("/claims", json=claim_body("alex", "a.ts", ttl_hours=1))
    clock.advance(minutes=59, seconds=59)
    assert (await client.post("/claims", json=claim_body("sam", "a.ts"))).status_code == 409
    clock.advance(seconds=1)
    assert (await client.post("/claims", json=claim_body("sam", "a.ts"))).status_code == 200


async def test_expiry_sweep_releases_and_serves_queue(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, ctx, clock = clocked
    await client.post("/claims", json=claim_body("alex", "a.ts", ttl_hours=1))
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=60))
    )
    await _queued(client, 1)
    clock.advance(hours=1)
    assert await ctx.expiry.next_deadline() == clock.now
    expired = (await ctx.expiry.sweep(clock.now)).released
    assert len(expired) == 1
    granted = await asyncio.wait_for(waiting, timeout=10)
    assert granted.status_code == 200
    history = (
        await client.get("/claims", params={"active_only": "false", "engineer": "alex"})
    ).json()
    assert history["claims"][0]["released_at"] is not None


async def test_idle_session_claims_expire_and_activity_defers_it(
    make_settings: Any, clock: FakeClock
) -> None:
    app = create_app(
        make_settings(disable_background_cleanup=True, idle_timeout_sec=600), clock=clock
    )
    async with serve(app) as client:
        ctx: AppContext = app.state.coord
        await client.post("/claims", json=claim_body("alex", "a.ts", session_id="s-1"))
        clock.advance(seconds=500)
        await client.get("/claims", headers={"X-Coord-Session": "s-1"})  # activity
        clock.advance(seconds=500)
        assert (await ctx.expiry.sweep(clock.now)).released == []
        clock.advance(seconds=100)
        assert len((await ctx.expiry.sweep(clock.now)).released) == 1
        assert (await client.post("/claims", json=claim_body("sam", "a.ts"))).status_code == 200


async def test_expiry_loop_serves_the_queue_without_any_other_request(
    client: httpx.AsyncClient,
) -> None:
    # Real clock and real background loop: the holder's TTL ends in under a second and nothing
    # else is sent; the waiter is answered by the expiry loop alone, long before its deadline.
    await client.post("/claims", json=claim_body("alex", "a.ts", ttl_hours=0.0002))
    answer = await client.post("/claims", json=claim_body("sam", "a.ts", wait_seconds=60))
    assert answer.status_code == 200
    assert answer.json()["claims"][0]["engineer"] == "sam"


async def test_caller_hanging_up_cancels_its_queue_entry(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, ctx, _clock = clocked
    await client.post("/claims", json=claim_body("alex", "a.ts"))
    body = CreateClaimsRequest.model_validate(claim_body("sam", "a.ts", wait_seconds=60))
    hung_up = asyncio.Event()
    waiting = asyncio.create_task(ctx.claiming.claim(body, "sam", hung_up.wait))
    (entry,) = await _queued(client, 1)
    hung_up.set()
    outcome = await asyncio.wait_for(waiting, timeout=10)
    assert outcome.caller_gone and not outcome.granted
    assert (await client.get("/requests", params={"queued": "true"})).json()["count"] == 0
    row = await ctx.store.queue.get(entry["queue_id"])
    assert row is not None and row["state"] == QueueState.CANCELLED
