"""Webhooks (SPEC §9): outbox, signed delivery, retries, allowlist, restarts, /admin/outbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, claim_body, eventually, serve

from coord_protocol.outbox import OutboxStats, OutboxTail
from coord_protocol.service import WebhookPayload
from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.service.outbox import delivery
from coord_server.service.view import Waiter
from coord_server.service.webhooks import DeliveryPolicy, outcome, signature
from coord_server.settings import Settings
from coord_server.storage import make_engine, migrate, sqlite_url
from coord_server.storage.schema import webhook_outbox

pytestmark = pytest.mark.anyio

SECRET = "webhook-secret-for-tests"
WAIT_SEC = 10.0
"""Deadline for anything the tests wait on; never reached when the code works."""

HANG = 0
"""A receiver answer that never comes."""


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> WebhookPayload:
        return WebhookPayload.model_validate_json(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["x-coord-delivery-id"]


class Receiver:
    """A raw asyncio HTTP server on loopback that records POSTs and answers as scripted."""

    def __init__(self, answer: Callable[[int], int] = lambda _: 200) -> None:
        self.answer = answer
        """Status for the n-th request (1-based); HANG never answers."""
        self.deliveries: asyncio.Queue[Delivery] = asyncio.Queue()
        self.count = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def next(self) -> Delivery:
        """The next POST, waiting for it up to the deadline."""
        return await asyncio.wait_for(self.deliveries.get(), WAIT_SEC)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.count += 1
            status = self.answer(self.count)
            await self.deliveries.put(Delivery(headers, body))
            if status == HANG:
                await asyncio.Event().wait()
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)


def webhook_settings(make_settings: Callable[..., Settings], url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "webhook_url": url,
        "webhook_secret": SECRET,
        "webhook_retry_backoff_sec": 0.01,
        "webhook_delivery_interval_sec": 0.05,
    }
    return make_settings(**(values | extra))


@asynccontextmanager
async def app_for(
    settings: Settings, clock: FakeClock | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    app = create_app(settings, clock=clock) if clock is not None else create_app(settings)
    async with serve(app) as http:
        yield http, app.state.coord


async def until_recorded(ctx: AppContext, predicate: Callable[[OutboxTail], bool]) -> OutboxTail:
    """Wait for delivery outcomes until the outbox satisfies `predicate`."""
    assert ctx.webhooks is not None
    while True:
        ctx.webhooks.recorded.clear()  # before looking, so an outcome stored next is not missed
        tail = await _tail(ctx)
        if predicate(tail):
            return tail
        await asyncio.wait_for(ctx.webhooks.recorded.wait(), WAIT_SEC)


async def _tail(ctx: AppContext) -> OutboxTail:
    rows = await ctx.store.outbox.tail(100)
    return OutboxTail(deliveries=[delivery(row) for row in rows], count=len(rows))


def verify(delivery: Delivery) -> None:
    expected = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-coord-signature"] == expected
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["x-coord-event-type"] == delivery.payload.event_type


async def test_every_event_type_arrives_signed_with_its_details(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    async with Receiver() as receiver:
        settings = webhook_settings(make_settings, receiver.url, disable_background_cleanup=True)
        async with app_for(settings, clock) as (client, ctx):
            await _every_event(client, ctx, clock)
            seen: dict[str, list[dict[str, Any]]] = {}
            while len(seen) < 7 or receiver.deliveries.qsize():
                delivery = await receiver.next()
                verify(delivery)
                seen.setdefault(delivery.payload.event_type, []).append(delivery.payload.detail)
    assert set(seen) == {
        "claim_granted", "claim_released", "claim_expired", "auto-coexist", "auto-narrow",
        "queue_grant", "queue_cancel",
    }  # fmt: skip
    granted = seen["claim_granted"][0]
    assert granted["engineer"] == "alex" and granted["repo"] == "acme/web"
    assert granted["pattern"] == "src/a.ts" and granted["fence"] == 1 and granted["claim_id"]
    assert seen["claim_released"][0]["reason"] == "released"
    assert seen["claim_expired"][0]["reason"] == "expired"
    coexist = seen["auto-coexist"][0]
    assert coexist["partner_engineer"] == "kim" and coexist["symbols"] == ["Router::logout"]
    narrow = seen["auto-narrow"][0]
    assert narrow["holder_engineer"] == "alex" and narrow["narrowed_symbols"] == ["boot"]
    assert seen["queue_grant"][0]["queue_id"] and seen["queue_grant"][0]["engineer"] == "sam"
    assert seen["queue_cancel"][0]["queue_id"] and seen["queue_cancel"][0]["engineer"] == "lee"


async def _every_event(client: httpx.AsyncClient, ctx: AppContext, clock: FakeClock) -> None:
    repo = {"repo": "acme/web"}
    first = (await client.post("/claims", json=claim_body("alex", "src/a.ts", **repo))).json()
    await client.delete(f"/claims/{first['claim_ids'][0]}")
    await client.post("/claims", json=claim_body("alex", "src/b.ts", ttl_hours=1, **repo))
    clock.advance(hours=2)
    await ctx.expiry.sweep(clock())
    symbol = {"pattern": "src/router.ts", "symbols": ["Router::auth"]}
    await client.post("/claims", json={"engineer": "kim", "claims": [symbol], **repo})
    other = {"pattern": "src/router.ts", "symbols": ["Router::logout"]}
    await client.post("/claims", json={"engineer": "sam", "claims": [other], **repo})
    held = (await client.post("/claims", json=claim_body("alex", "src/app.ts", **repo))).json()
    boot = {"pattern": "src/app.ts", "symbols": ["boot"]}
    await client.post("/claims", json={"engineer": "sam", "claims": [boot], **repo})
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "src/app.ts", wait_seconds=30, **repo))
    )
    cancelled = asyncio.create_task(
        client.post("/claims", json=claim_body("lee", "src/app.ts", wait_seconds=30, **repo))
    )
    await _parked(client, 2)
    lee = next(w.queue_id for w in _waiters(ctx) if w.engineer == "lee")
    await client.delete(f"/requests/{lee}")
    assert (await cancelled).status_code == 409
    await client.delete(f"/claims/{held['claim_ids'][0]}")
    assert (await asyncio.wait_for(waiting, WAIT_SEC)).status_code == 200


def _waiters(ctx: AppContext) -> list[Waiter]:
    return [waiter for view in ctx.arbiter.views.values() for waiter in view.waiters.values()]


async def _parked(client: httpx.AsyncClient, count: int) -> None:
    async def parked() -> bool:
        listed = (await client.get("/requests", params={"queued": "true"})).json()
        return bool(listed["count"] >= count)

    await eventually(parked)


async def test_a_retry_repeats_the_same_delivery(make_settings: Callable[..., Settings]) -> None:
    async with (
        Receiver(lambda n: 500 if n <= 2 else 200) as receiver,
        app_for(webhook_settings(make_settings, receiver.url)) as (client, ctx),
    ):
        await client.post("/claims", json=claim_body("alex", "src/a.ts"))
        attempts = [await receiver.next() for _ in range(3)]
        tail = await until_recorded(ctx, lambda t: t.deliveries[0].state == "delivered")
    assert len({attempt.delivery_id for attempt in attempts}) == 1
    assert len({attempt.body for attempt in attempts}) == 1
    assert len({attempt.headers["x-coord-signature"] for attempt in attempts}) == 1
    (row,) = tail.deliveries
    assert row.delivery_id == attempts[0].delivery_id
    assert row.attempts == 3 and row.last_status == 200 and row.delivered_at is not None


async def test_events_outside_the_allowlist_are_never_sent(
    make_settings: Callable[..., Settings],
) -> None:
    async with Receiver() as receiver:
        settings = webhook_settings(make_settings, receiver.url, webhook_events="claim_released")
        async with app_for(settings) as (client, ctx):
            granted = (await client.post("/claims", json=claim_body("alex", "src/a.ts"))).json()
            await client.delete(f"/claims/{granted['claim_ids'][0]}")
            delivery = await receiver.next()
            tail = await _tail(ctx)
    assert delivery.payload.event_type == "claim_released"
    assert [row.event_type for row in tail.deliveries] == ["claim_released"]
    assert receiver.count == 1


async def test_a_dead_receiver_gets_exactly_max_retries_attempts(
    make_settings: Callable[..., Settings],
) -> None:
    async with Receiver(lambda _: 503) as receiver:
        settings = webhook_settings(make_settings, receiver.url, webhook_max_retries=3)
        async with app_for(settings) as (client, ctx):
            await client.post("/claims", json=claim_body("alex", "src/a.ts"))
            tail = await until_recorded(ctx, lambda t: t.deliveries[0].state == "exhausted")
            stats = OutboxStats.model_validate((await client.get("/admin/outbox/stats")).json())
    assert receiver.count == 3 and receiver.deliveries.qsize() == 3
    (row,) = tail.deliveries
    assert row.attempts == 3 and row.last_status == 503 and row.next_attempt_at is None
    assert "503" in (row.last_error or "")
    assert stats.totals.exhausted == 1 and stats.backlog == 0


async def test_an_emitted_event_survives_a_restart_before_delivery(
    make_settings: Callable[..., Settings],
) -> None:
    answers = iter([HANG, 200])
    async with Receiver(lambda _: next(answers)) as receiver:
        settings = webhook_settings(make_settings, receiver.url)
        async with app_for(settings) as (client, ctx):
            await client.post("/claims", json=claim_body("alex", "src/a.ts"))
            cut_short = await receiver.next()  # in flight when the service stops
        assert [row.state for row in (await _tail(ctx)).deliveries] == ["pending"]
        await ctx.store.db.close()  # the read above opened a connection of the stopped app
        async with app_for(settings) as (client, ctx):
            delivered = await receiver.next()
            await until_recorded(ctx, lambda t: t.deliveries[0].state == "delivered")
    assert delivered.delivery_id == cut_short.delivery_id
    assert delivered.body == cut_short.body


async def test_a_hanging_receiver_does_not_hold_up_claims(
    make_settings: Callable[..., Settings],
) -> None:
    async with (
        Receiver(lambda _: HANG) as receiver,
        app_for(webhook_settings(make_settings, receiver.url)) as (client, _ctx),
    ):
        first = await client.post("/claims", json=claim_body("alex", "src/a.ts"))
        await receiver.next()  # the deliverer is now stuck on this request
        for number in range(5):
            granted = await client.post("/claims", json=claim_body("alex", f"f{number}"))
            assert granted.status_code == 200
            released = await client.delete(f"/claims/{granted.json()['claim_ids'][0]}")
            assert released.json()["released"] == 1
    assert first.status_code == 200


async def test_admin_outbox_stats_tail_retry_and_purge(
    make_settings: Callable[..., Settings],
) -> None:
    answers = iter([500, 200])
    async with Receiver(lambda _: next(answers)) as receiver:
        settings = webhook_settings(make_settings, receiver.url, webhook_max_retries=1)
        async with app_for(settings) as (client, ctx):
            await client.post("/claims", json=claim_body("alex", "src/a.ts"))
            await until_recorded(ctx, lambda t: t.deliveries[0].state == "exhausted")
            stats = (await client.get("/admin/outbox/stats")).json()
            assert stats["webhook_configured"] is True
            assert stats["by_event"] == [
                {"event_type": "claim_granted", "delivered": 0, "failed": 0, "pending": 0,
                 "exhausted": 1},
            ]  # fmt: skip
            tail = (await client.get("/admin/outbox/tail", params={"state": "exhausted"})).json()
            assert tail["count"] == 1 and tail["deliveries"][0]["attempts"] == 1
            retried = await client.post("/admin/outbox/retry", json={})
            assert retried.json() == {"rearmed": 1}
            second = await receiver.next()
            await until_recorded(ctx, lambda t: t.deliveries[0].state == "delivered")
            kept = await client.post("/admin/outbox/purge", json={"older_than_days": 1})
            purged = await client.post("/admin/outbox/purge", json={"older_than_days": 0})
            after = (await client.get("/admin/outbox/tail")).json()
    assert second.delivery_id == tail["deliveries"][0]["delivery_id"]
    assert kept.json() == {"purged": 0} and purged.json() == {"purged": 1}
    assert after == {"deliveries": [], "count": 0}


async def test_admin_outbox_validates_its_input(client: httpx.AsyncClient) -> None:
    bad_state = await client.get("/admin/outbox/tail", params={"state": "lost"})
    assert bad_state.status_code == 422
    bad_purge = await client.post("/admin/outbox/purge", json={"states": ["pending"]})
    assert bad_purge.status_code == 422
    anonymous = await client.get("/admin/outbox/stats", headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_without_a_url_nothing_is_written_or_sent(client: httpx.AsyncClient) -> None:
    ctx: AppContext = client._transport.app.state.coord  # type: ignore[attr-defined]
    await client.post("/claims", json=claim_body("alex", "src/a.ts"))
    stats = OutboxStats.model_validate((await client.get("/admin/outbox/stats")).json())
    assert ctx.webhooks is None
    assert stats.webhook_configured is False and stats.totals.pending == 0
    assert await ctx.store.outbox.tail(10) == []


def test_outcome_backs_off_exponentially_then_exhausts() -> None:
    policy = DeliveryPolicy("http://x", None, max_attempts=4, backoff_sec=2, interval_sec=1)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    row: dict[str, Any] = {"attempts": 0}
    delays = []
    for _ in range(3):
        values = outcome(row, 500, "HTTP 500", now, policy)
        assert values["state"] == "failed"
        delays.append(values["next_attempt_at"] - now)
        row = {"attempts": values["attempts"]}
    assert delays == [timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8)]
    assert outcome(row, 500, "HTTP 500", now, policy)["state"] == "exhausted"
    assert outcome({"attempts": 0}, 204, None, now, policy)["state"] == "delivered"


def test_zero_retries_still_makes_one_attempt(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(webhook_url="http://127.0.0.1:1/", webhook_max_retries=0)
    policy = DeliveryPolicy.from_settings(settings, "http://127.0.0.1:1/")
    assert policy.max_attempts == 1


def test_signature_is_hex_hmac_sha256_of_the_body() -> None:
    body = json.dumps({"event_type": "claim_granted"}).encode()
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert signature("k", body) == expected == expected.lower()


def test_migration_creates_the_outbox_as_the_schema_declares(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "coord.db"))
    migrate(engine)
    columns = {column["name"] for column in sa.inspect(engine).get_columns("webhook_outbox")}
    indexes = {index["name"] for index in sa.inspect(engine).get_indexes("webhook_outbox")}
    engine.dispose()
    assert columns == set(webhook_outbox.c.keys())
    assert {"ix_outbox_due", "ix_outbox_created"} <= indexes


async def test_negotiation_and_promotion_events_are_delivered_too(
    make_settings: Callable[..., Settings],
) -> None:
    async with (
        Receiver() as receiver,
        app_for(webhook_settings(make_settings, receiver.url)) as (client, _ctx),
    ):
        held = (await client.post("/claims", json=claim_body("alex", "src/a.ts"))).json()
        filed = await client.post(
            "/requests",
            json={"claim_id": held["claim_ids"][0], "requester": "sam", "reason": "hotfix"},
        )
        request_id = filed.json()["id"]
        await client.post(
            f"/requests/{request_id}/respond", json={"decision": "denied", "engineer": "alex"}
        )
        promote = {"action": "shared_file", "pattern": "package-lock.json"}
        assert (await client.post("/metrics/hotspots/promote", json=promote)).status_code == 200
        wanted = {"request_filed", "request_decided", "auto-promote"}
        seen: dict[str, dict[str, Any]] = {}
        while not wanted <= set(seen):
            delivery = await receiver.next()
            verify(delivery)
            seen[delivery.payload.event_type] = delivery.payload.detail
    assert seen["request_filed"]["engineer"] == "sam"
    assert seen["request_decided"]["engineer"] == "alex"
    assert seen["auto-promote"]["pattern"] == "package-lock.json"
