"""Retention: old audit, conflict, outbox and queue rows are purged; what is in use stays."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, claim_body, eventually, serve

from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.service.outbox import Outbox
from coord_server.service.retention import RetentionPolicy
from coord_server.settings import Settings
from coord_server.storage import schema

pytestmark = pytest.mark.anyio

WAIT_SEC = 10.0
TABLES = ("events", "blocked_attempts", "webhook_outbox", "queue_entries")


@pytest.fixture
async def aged(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext, FakeClock]]:
    """An app keeping 5 days, whose transactions write outbox rows (no deliverer runs)."""
    app = create_app(make_settings(retention_days=5, disable_background_cleanup=True), clock)
    ctx: AppContext = app.state.coord
    ctx.store.events.outbox_rows = Outbox(frozenset()).rows_for
    async with serve(app) as http:
        yield http, ctx, clock


async def counts(ctx: AppContext) -> dict[str, int]:
    return {name: await _rows(ctx, name) for name in TABLES}


async def _rows(ctx: AppContext, name: str) -> int:
    table = schema.metadata.tables[name]
    return int(await ctx.store.db.scalar(sa.select(sa.func.count()).select_from(table)))


async def outbox_states(ctx: AppContext) -> list[str]:
    return sorted(row["state"] for row in await ctx.store.outbox.tail(100))


async def make_history(client: httpx.AsyncClient, ctx: AppContext) -> None:
    """Events, a refused attempt, a cancelled queue entry and outbox rows, one delivered."""
    held = (await client.post("/claims", json=claim_body("alex", "src/a.ts"))).json()
    refused = await client.post("/claims", json=claim_body("sam", "src/a.ts"))
    assert refused.status_code == 409
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("sam", "src/a.ts", wait_seconds=30))
    )

    async def parked() -> bool:
        return bool((await client.get("/requests", params={"queued": "true"})).json()["count"])

    await eventually(parked)
    (queue_id,) = [w for view in ctx.arbiter.views.values() for w in view.waiters]
    await client.delete(f"/requests/{queue_id}")
    assert (await asyncio.wait_for(waiting, WAIT_SEC)).status_code == 409
    await client.delete(f"/claims/{held['claim_ids'][0]}")
    first = (await ctx.store.outbox.tail(100))[-1]
    await ctx.store.outbox.record(first["id"], state="delivered", next_attempt_at=None)


async def test_old_rows_go_and_what_is_in_use_or_analysed_stays(
    aged: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, ctx, clock = aged
    await make_history(client, ctx)
    before = await counts(ctx)
    assert all(before.values()), before
    clock.advance(days=10)
    assert await _rows(ctx, "inbox_notices") > 0
    purged = await ctx.retention.purge(clock())
    after = await counts(ctx)
    inbox_count = await _rows(ctx, "inbox_notices")
    assert purged["queue_entries"] == 1 and after["queue_entries"] == 0
    assert purged["webhook_outbox"] == 1 and "delivered" not in await outbox_states(ctx)
    assert after["webhook_outbox"] == before["webhook_outbox"] - 1, "undelivered rows stay"
    # The hotspot and auto-resolution windows read these: kept past a 5-day retention.
    assert after["events"] == before["events"]
    assert after["blocked_attempts"] == before["blocked_attempts"]
    assert inbox_count == 0, "the refused attempt's inbox notice is older than retention"
    clock.advance(days=30)
    await ctx.retention.purge(clock())
    assert (await counts(ctx))["blocked_attempts"] == 0
    assert (await counts(ctx))["events"] == 1, "the newest event always stays"


async def test_event_ids_keep_growing_after_a_purge(
    aged: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, ctx, clock = aged
    await make_history(client, ctx)
    newest = await ctx.store.events.last_id()
    clock.advance(days=365)
    await ctx.retention.purge(clock())
    assert [row["id"] for row in await ctx.store.events.after(0, 10)] == [newest]
    await client.post("/claims", json=claim_body("alex", "src/b.ts"))
    assert await ctx.store.events.last_id() == newest + 1


async def test_the_background_sweep_runs_at_start(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    settings = make_settings(retention_days=5, disable_background_cleanup=True)
    async with serve(create_app(settings, clock)) as client:
        refused = [
            await client.post("/claims", json=claim_body(name, "src/a.ts"))
            for name in ("alex", "sam", "kim")
        ]
    assert [answer.status_code for answer in refused] == [200, 409, 409]
    clock.advance(days=400)
    app = create_app(settings, clock)
    ctx: AppContext = app.state.coord
    async with serve(app):
        await asyncio.wait_for(ctx.retention.swept.wait(), WAIT_SEC)
        assert (await counts(ctx))["blocked_attempts"] == 0


def test_windows_set_a_floor_for_analysed_tables(make_settings: Callable[..., Settings]) -> None:
    short = RetentionPolicy.from_settings(make_settings(retention_days=1))
    assert short.days("events") == short.days("blocked_attempts") == 30
    assert short.days("webhook_outbox") == short.days("queue_entries") == 1
    wide = make_settings(retention_days=2, auto_promote_window_days=20, auto_demote_window_days=40)
    assert RetentionPolicy.from_settings(wide).days("events") == 60
    long = RetentionPolicy.from_settings(make_settings(retention_days=90))
    assert long.days("events") == long.days("queue_entries") == 90
