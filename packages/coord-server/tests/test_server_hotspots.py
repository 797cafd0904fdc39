"""Hotspots, promotion, auto-promote, subtree collapse, auto-demote, auto-resolutions (SPEC §8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, claim_body, serve

from coord_engine.owners import parse_owners
from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import Settings
from coord_server.storage import schema

pytestmark = pytest.mark.anyio

YAML_BODY = {"Content-Type": "application/yaml"}

Served = tuple[httpx.AsyncClient, AppContext]


@pytest.fixture
def started(make_settings: Callable[..., Settings], clock: FakeClock) -> Callable[..., Any]:
    """Start an app on the fake clock with the given settings overrides."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Served]:
        settings = make_settings(disable_background_cleanup=True, **overrides)
        app = create_app(settings, clock)
        async with serve(app) as client:
            yield client, app.state.coord

    return start


async def claim(client: httpx.AsyncClient, engineer: str, pattern: str, **extra: Any) -> int:
    answer = await client.post("/claims", json=claim_body(engineer, pattern, **extra))
    return answer.status_code


async def owners_text(client: httpx.AsyncClient) -> str:
    answer = await client.get("/config/ownership")
    return answer.text if answer.status_code == 200 else ""


async def promote(client: httpx.AsyncClient, pattern: str, **extra: Any) -> httpx.Response:
    body = {"action": "shared_file", "pattern": pattern, **extra}
    return await client.post("/metrics/hotspots/promote", json=body)


async def events_of(ctx: AppContext, event_type: str) -> list[dict[str, Any]]:
    table = schema.events
    rows = await ctx.store.db.read(
        sa.select(table.c.detail).where(table.c.event_type == event_type).order_by(table.c.id)
    )
    return [dict(row["detail"]) for row in rows]


# -- hotspot reports -----------------------------------------------------------------------


async def test_hotspots_rank_blocked_attempts_in_the_window(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, _ctx, clock = clocked
    await claim(client, "alex", "src/router.ts", ttl_hours=168)
    await claim(client, "alex", "docs/a.md", ttl_hours=168)
    await claim(client, "sam", "docs/a.md")
    clock.advance(days=2)
    for engineer in ["sam", "kim", "lee", "sam", "kim"]:
        clock.advance(seconds=1)
        assert await claim(client, engineer, "src/router.ts") == 409
    listed = (await client.get("/metrics/hotspots", params={"days": 30})).json()
    assert listed["days"] == 30 and listed["count"] == 2
    first, second = listed["hotspots"]
    assert first["pattern"] == "src/router.ts" and first["repo"] is None
    assert first["attempts"] == 5 and first["distinct_attempters"] == 3
    assert first["suggested_action"] == "shared_file" and first["last_attempt"].endswith("Z")
    assert second["pattern"] == "docs/a.md" and second["suggested_action"] == "monitor"
    recent = (await client.get("/metrics/hotspots", params={"days": 1})).json()
    assert [spot["pattern"] for spot in recent["hotspots"]] == ["src/router.ts"]
    top = (await client.get("/metrics/hotspots", params={"limit": 1})).json()
    assert top["count"] == 1
    assert (await client.get("/metrics/hotspots", params={"days": 0})).status_code == 422


# -- promotion by hand ---------------------------------------------------------------------


async def test_promote_is_idempotent_and_keeps_every_comment(
    client: httpx.AsyncClient,
) -> None:
    original = "# team rules\nshared_files:\n  - package.json   # coord-managed=permanent\n"
    await client.post("/config/ownership", content=original, headers=YAML_BODY)
    first = await promote(client, "**/package-lock.json", note="lockfile churn")
    assert first.status_code == 200
    assert first.json() == {
        "ok": True,
        "changed": True,
        "action": "shared_file",
        "pattern": "**/package-lock.json",
    }
    second = await promote(client, "**/package-lock.json")
    assert second.json()["changed"] is False
    text = await owners_text(client)
    assert text.startswith(original), "nothing before the new entry moved"
    config = parse_owners(text)
    assert config.shared_patterns() == ("package.json", "**/package-lock.json")
    assert config.shared_entry("package.json") is not None
    assert config.shared_entry("package.json").permanent  # type: ignore[union-attr]
    assert "lockfile churn" in text
    assert len(await events_of(client._transport.app.state.coord, "auto-promote")) == 1  # type: ignore[attr-defined]


async def test_promote_refuses_a_pattern_with_a_line_break(client: httpx.AsyncClient) -> None:
    await promote(client, "a.json")
    before = await owners_text(client)
    answer = await promote(client, "x.json\nareas:\n  evil:\n    paths: ['**']")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_ownership"
    assert await owners_text(client) == before


async def test_promote_quotes_what_yaml_would_read_as_syntax(client: httpx.AsyncClient) -> None:
    for pattern in ["key: x", "a#b.ts", 'say "hi".md']:
        assert (await promote(client, pattern)).json()["changed"] is True
    config = parse_owners(await owners_text(client))
    assert config.shared_patterns() == ("key: x", "a#b.ts", 'say "hi".md')
    assert config.areas == ()


async def test_promote_refuses_an_invalid_pattern(client: httpx.AsyncClient) -> None:
    answer = await promote(client, "../outside")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_pattern"
    missing = await client.post("/metrics/hotspots/promote", json={"action": "shared_file"})
    assert missing.status_code == 422


async def test_promote_split_records_a_suggestion(client: httpx.AsyncClient) -> None:
    body = {"action": "split", "pattern": "src/app/shell.ts", "note": "too central"}
    first = await client.post("/metrics/hotspots/promote", json=body)
    again = await client.post("/metrics/hotspots/promote", json=body)
    assert first.json()["changed"] is True and again.json()["changed"] is False
    (split,) = parse_owners(await owners_text(client)).suggested_splits
    assert split.pattern == "src/app/shell.ts" and split.note == "too central"
    assert split.suggested_at is not None


async def test_a_promoted_file_stops_producing_409s(client: httpx.AsyncClient) -> None:
    await claim(client, "alex", "src/router.ts")
    assert await claim(client, "sam", "src/router.ts") == 409
    await promote(client, "src/router.ts")
    granted = await client.post("/claims", json=claim_body("sam", "src/router.ts"))
    assert granted.status_code == 200
    assert any("alex" in notice for notice in granted.json()["notices"])


# -- hard auto-promote ---------------------------------------------------------------------


async def test_auto_promote_at_the_threshold(started: Callable[..., Any], clock: FakeClock) -> None:
    async with started(auto_promote_threshold=3) as (client, ctx):
        await claim(client, "alex", "src/router.ts")  # in the way of the next two as well
        await claim(client, "alex", "src/**/*.css")
        for engineer in ["sam", "kim"]:
            clock.advance(seconds=1)
            assert await claim(client, engineer, "src/router.ts") == 409
            assert await claim(client, engineer, "src/ui/**") == 409
        assert await owners_text(client) == "", "below the threshold nothing is written"
        clock.advance(seconds=1)
        assert await claim(client, "sam", "src/router.ts") == 409, "the third attempt counts"
        assert await claim(client, "sam", "src/ui/**") == 409
        text = await owners_text(client)
        assert '- "src/router.ts"  # auto-promoted=2026-11-24' in text
        assert "src/ui" not in text, "globs are never promoted automatically"
        assert await claim(client, "lee", "src/router.ts") == 200
        (event,) = await events_of(ctx, "auto-promote")
        assert event["pattern"] == "src/router.ts" and event["trigger"] == "threshold"
        assert event["attempts"] == 3


async def test_subtree_collapse_across_separate_requests(started: Callable[..., Any]) -> None:
    async with started(auto_promote_threshold=1, auto_promote_subtree_min_files=3) as (
        client,
        ctx,
    ):
        await claim(client, "alex", "tests/**")
        assert await claim(client, "sam", "tests/a.py") == 409
        assert await claim(client, "sam", "tests/unit/b.py") == 409
        two = parse_owners(await owners_text(client)).shared_patterns()
        assert two == ("tests/a.py", "tests/unit/b.py")
        assert await claim(client, "kim", "tests/c.py") == 409
        text = await owners_text(client)
        config = parse_owners(text)
        assert config.shared_patterns() == ("tests/**",)
        assert config.shared_files[0].auto_promoted is not None
        assert text.count("tests/") == 1
        assert await claim(client, "lee", "tests/d.py") == 200, "the whole tree is shared now"
        subtree = [e for e in await events_of(ctx, "auto-promote") if e["trigger"] == "subtree"]
        assert subtree == [
            {
                "pattern": "tests/**",
                "action": "shared_file",
                "trigger": "subtree",
                "replaced": ["tests/a.py", "tests/c.py", "tests/unit/b.py"],
            }
        ]


# -- auto-demote ---------------------------------------------------------------------------

PROMOTED = """\
shared_files:
  - src/pinned.ts   # auto-promoted=2026-11-01 coord-managed=permanent
  - src/quiet.ts    # auto-promoted=2026-11-01
  - src/manual.ts   # added by hand
  - src/busy.ts     # auto-promoted=2026-11-01
"""


async def test_demote_removes_quiet_entries_but_never_pinned_or_manual_ones(
    started: Callable[..., Any], clock: FakeClock
) -> None:
    async with started(auto_promote_threshold=2) as (client, ctx):
        await client.post("/config/ownership", content=PROMOTED, headers=YAML_BODY)
        for engineer in ["alex", "sam", "kim"]:  # two grants meet other holders: contention
            assert await claim(client, engineer, "src/busy.ts") == 200
        assert await ctx.hotspots.demote_sweep() == ["src/quiet.ts"], "promoted 23 days ago, quiet"
        config = parse_owners(await owners_text(client))
        assert config.shared_patterns() == ("src/pinned.ts", "src/manual.ts", "src/busy.ts")
        assert "# auto-promoted=2026-11-01 coord-managed=permanent" in await owners_text(client)
        (event,) = await events_of(ctx, "auto-demote")
        assert event["pattern"] == "src/quiet.ts" and event["auto_promoted"] == "2026-11-01"
        clock.advance(days=22)
        assert await ctx.hotspots.demote_sweep() == ["src/busy.ts"], "quiet for a whole window now"
        assert parse_owners(await owners_text(client)).shared_patterns() == (
            "src/pinned.ts",
            "src/manual.ts",
        )


async def test_demote_is_off_without_a_threshold(
    started: Callable[..., Any], clock: FakeClock
) -> None:
    async with started() as (client, ctx):
        await client.post("/config/ownership", content=PROMOTED, headers=YAML_BODY)
        clock.advance(days=60)
        assert await ctx.hotspots.demote_sweep() == []


async def test_a_freshly_promoted_entry_is_kept_for_a_window(
    started: Callable[..., Any], clock: FakeClock
) -> None:
    async with started(auto_promote_threshold=1) as (client, ctx):
        await claim(client, "alex", "src/hot.ts")
        await claim(client, "sam", "src/hot.ts")
        clock.advance(days=13)
        assert await ctx.hotspots.demote_sweep() == []
        clock.advance(days=9)
        assert await ctx.hotspots.demote_sweep() == ["src/hot.ts"]
        assert await owners_text(client) == "shared_files:\n"


# -- auto-resolutions ----------------------------------------------------------------------


async def test_auto_resolution_series_counts_coexist_and_narrow(
    client: httpx.AsyncClient,
) -> None:
    def symbols(engineer: str, pattern: str, names: list[str]) -> dict[str, Any]:
        item = {"pattern": pattern, "symbols": names}
        return {"engineer": engineer, "claims": [item], "repo": "acme/web"}

    await client.post("/claims", json=symbols("alex", "src/r.ts", ["login"]))
    await client.post("/claims", json=symbols("sam", "src/r.ts", ["logout"]))
    await client.post("/claims", json=claim_body("kim", "src/s.ts", repo="acme/web"))
    await client.post("/claims", json=symbols("lee", "src/s.ts", ["render"]))
    series = (await client.get("/metrics/auto-resolutions", params={"days": 3})).json()
    assert series["days"] == 3 and series["count"] == 3
    assert [row["repo"] for row in series["series"]] == ["acme/web"] * 3
    today = series["series"][-1]
    assert today["auto_coexist"] == 1 and today["auto_narrow"] == 1
    assert series["series"][0]["auto_coexist"] == 0
    other = await client.get("/metrics/auto-resolutions", params={"repo": "acme/api"})
    assert other.json()["series"] == []


async def test_the_demote_sweep_runs_in_the_background_only_when_enabled(
    make_settings: Callable[..., Settings],
) -> None:
    def demote_tasks() -> list[str]:
        return [t.get_name() for t in asyncio.all_tasks() if t.get_name() == "coord-demote"]

    async with serve(create_app(make_settings(auto_promote_threshold=5))):
        assert demote_tasks() == ["coord-demote"]
    async with serve(
        create_app(make_settings(auto_promote_threshold=5, auto_demote_interval_sec=0))
    ):
        assert demote_tasks() == []
    async with serve(create_app(make_settings())):
        assert demote_tasks() == []
