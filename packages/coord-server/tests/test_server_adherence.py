"""Adherence (SPEC §16): reports from the checks, the figures per repo and engineer, the gauges,
and `adherence_low` fired once per fall below `COORD_ADHERENCE_ALERT`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, serve

from coord_protocol.adherence import MAX_REPORTED_COMMITS
from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import Settings
from coord_server.storage import make_engine, migrate, schema, sqlite_url

pytestmark = pytest.mark.anyio

REPO = "acme/web"
WAIT_SEC = 10.0
"""Deadline for a webhook delivery; never reached when the code works."""


def commit(sha: str, files: int, covered: int, trailers: bool = True) -> dict[str, Any]:
    return {"sha": sha.ljust(8, "0"), "files": files, "covered": covered, "trailers": trailers}


async def report(
    client: httpx.AsyncClient, engineer: str, source: str, repo: str = REPO, **body: Any
) -> dict[str, Any]:
    answer = await client.post(
        "/adherence/reports", json={"source": source, "engineer": engineer, "repo": repo, **body}
    )
    assert answer.status_code == 200, answer.text
    stored: dict[str, Any] = answer.json()
    return stored


async def figures(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    answer = await client.get("/metrics/adherence", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def repo_of(listing: dict[str, Any], repo: str = REPO) -> dict[str, Any]:
    found: dict[str, Any] = next(row for row in listing["repos"] if row["repo"] == repo)
    return found


def engineer_of(row: dict[str, Any], engineer: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in row["engineers"] if e["engineer"] == engineer)
    return found


async def test_pushes_with_and_without_valid_claims_move_the_figures(
    client: httpx.AsyncClient,
) -> None:
    assert (await figures(client))["repos"] == []
    await report(client, "alex", "pre_push", commits=[commit("a1", 2, 2)])
    whole = repo_of(await figures(client))
    assert (whole["covered_share"], whole["trailer_share"]) == (1.0, 1.0)
    await report(client, "alex", "pre_push", commits=[commit("b2", 2, 0, trailers=False)])
    await report(client, "sam", "ci", commits=[commit("c3", 1, 1)])
    whole = repo_of(await figures(client))
    assert (whole["files"], whole["covered_files"], whole["covered_share"]) == (5, 3, 0.6)
    assert (whole["commits"], whole["commits_with_trailers"]) == (3, 2)
    assert whole["trailer_share"] == 0.6667
    alex = engineer_of(whole, "alex")
    assert (alex["covered_share"], alex["trailer_share"], alex["commits"]) == (0.5, 0.5, 2)
    assert engineer_of(whole, "sam")["covered_share"] == 1.0


async def test_a_commit_checked_again_counts_once_with_the_newest_figures(
    client: httpx.AsyncClient,
) -> None:
    await report(client, "alex", "pre_push", commits=[commit("d4", 4, 4)])
    await report(client, "alex", "ci", commits=[commit("d4", 4, 1), commit("d4", 4, 1)])
    whole = repo_of(await figures(client))
    assert (whole["commits"], whole["files"], whole["covered_files"]) == (1, 4, 1)


async def test_undeclared_edits_count_distinct_files_per_source(
    client: httpx.AsyncClient,
) -> None:
    await report(client, "alex", "reconcile", undeclared=["src/a.py", "src/b.py"])
    await report(client, "alex", "reconcile", undeclared=["src/a.py"])  # found again
    stored = await report(client, "alex", "shell_hook", undeclared=["src/a.py"])
    assert stored["undeclared"] == 1 and stored["commits"] == 0
    await report(client, "sam", "reconcile", undeclared=[])  # a clean run adds nothing
    whole = repo_of(await figures(client))
    assert whole["undeclared_edits"] == {"reconcile": 2, "shell_hook": 1}
    assert engineer_of(whole, "alex")["undeclared_edits"] == {"reconcile": 2, "shell_hook": 1}
    assert whole["covered_share"] is None and whole["trailer_share"] is None


async def test_the_window_counts_what_was_seen_in_it(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, _ctx, clock = clocked
    await report(client, "alex", "pre_push", commits=[commit("e5", 1, 0)])
    await report(client, "alex", "reconcile", undeclared=["old.py"])
    clock.advance(days=8)
    await report(client, "alex", "pre_push", commits=[commit("f6", 1, 1)])
    week = repo_of(await figures(client))
    assert (week["commits"], week["covered_share"], week["undeclared_edits"]) == (1, 1.0, {})
    month = repo_of(await figures(client, days=30))
    assert (month["commits"], month["covered_share"]) == (2, 0.5)
    assert month["undeclared_edits"] == {"reconcile": 1}


async def test_repos_are_apart_and_a_repo_can_be_asked_alone(client: httpx.AsyncClient) -> None:
    await report(client, "alex", "pre_push", commits=[commit("a1", 1, 1)])
    await report(client, "alex", "pre_push", repo="acme/api", commits=[commit("a1", 1, 0)])
    both = await figures(client)
    assert [row["repo"] for row in both["repos"]] == ["acme/api", REPO]
    alone = await figures(client, repo="acme/api")
    assert alone["count"] == 1 and alone["repos"][0]["covered_share"] == 0.0


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"source": "reconcile", "commits": [commit("a1", 1, 1)]}, "reports undeclared paths"),
        ({"source": "ci", "undeclared": ["src/a.py"]}, "reports commits"),
        ({"source": "ci", "commits": [commit("a1", 1, 2)]}, "cannot exceed files"),
        ({"source": "ci", "commits": [commit("XYZ", 1, 1)]}, "sha"),
        ({"source": "shell", "undeclared": []}, "source"),
        ({"source": "reconcile", "undeclared": ["../etc/passwd"]}, "body.undeclared.0"),
        ({"source": "reconcile", "undeclared": ["/abs.py"]}, "repo-relative"),
        (
            {"source": "ci", "commits": [commit(f"{n:04x}", 1, 1) for n in range(1001)]},
            "1000",
        ),
        ({"source": "ci", "commits": [], "surprise": 1}, "surprise"),
    ],
)
async def test_bad_reports_are_refused_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], named: str
) -> None:
    answer = await client.post("/adherence/reports", json={"engineer": "alex", **body})
    assert answer.status_code == 422, answer.text
    assert named in answer.text
    assert (await figures(client))["repos"] == []
    assert MAX_REPORTED_COMMITS == 1000


async def test_the_window_is_bounded(client: httpx.AsyncClient) -> None:
    for days in ("0", "366", "week"):
        answer = await client.get("/metrics/adherence", params={"days": days})
        assert answer.status_code == 422, answer.text
        assert "days" in answer.text


async def test_an_engineer_token_reports_its_own_work_only(
    make_settings: Callable[..., Settings],
) -> None:
    async with serve(create_app(make_settings())) as client:
        made = await client.post("/admin/tokens", json={"engineer": "alex", "read_only": True})
        token = {"Authorization": f"Bearer {made.json()['token']}"}
        body = {"source": "ci", "commits": [commit("a1", 1, 1)], "repo": REPO}
        own = await client.post("/adherence/reports", json=body, headers=token)
        assert own.status_code == 200, own.text
        assert own.json()["engineer"] == "alex"  # the token's engineer when none is named
        theirs = await client.post(
            "/adherence/reports", json={**body, "engineer": "sam"}, headers=token
        )
        assert theirs.status_code == 403 and "'sam' is not yours" in theirs.text


async def test_the_gauges_show_each_repo(client: httpx.AsyncClient) -> None:
    await report(client, "alex", "pre_push", commits=[commit("a1", 4, 3), commit("b2", 1, 1)])
    await report(client, "alex", "shell_hook", undeclared=["src/x.py"])
    text = (await client.get("/metrics")).text
    assert 'coord_adherence_covered_share{repo="acme/web"} 0.8' in text
    assert 'coord_adherence_trailer_share{repo="acme/web"} 1.0' in text
    assert 'coord_adherence_undeclared_edits{repo="acme/web",source="shell_hook"} 1.0' in text


class Receiver:
    """A loopback HTTP server keeping the body of every POST it answers 200."""

    def __init__(self) -> None:
        self.bodies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/hook"

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        async with self._server:
            yield self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.partition("content-length:")[2].partition("\r\n")[0])
        await self.bodies.put(json.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def _alerts(ctx: AppContext) -> list[dict[str, Any]]:
    rows = await ctx.store.events.since(["adherence_low"], ctx.clock().replace(year=2000))
    return [dict(row) for row in rows]


async def test_adherence_low_fires_once_per_fall_below_the_threshold(
    make_settings: Callable[..., Settings],
) -> None:
    async with Receiver().running() as receiver:
        settings = make_settings(
            adherence_alert=0.8, webhook_url=receiver.url, webhook_delivery_interval_sec=0.05
        )
        app = create_app(settings)
        async with serve(app) as client:
            ctx: AppContext = app.state.coord
            await report(client, "alex", "pre_push", commits=[commit("a1", 4, 4)])
            assert await _alerts(ctx) == []
            await report(client, "sam", "pre_push", commits=[commit("b2", 4, 0)])  # 4 of 8
            await report(client, "sam", "ci", commits=[commit("c3", 2, 0)])  # lower still
            fired = await _alerts(ctx)
            assert len(fired) == 1
            assert fired[0]["engineer"] == "sam" and fired[0]["detail"]["covered_share"] == 0.5
            delivered = await asyncio.wait_for(receiver.bodies.get(), WAIT_SEC)
            assert delivered["event_type"] == "adherence_low"
            assert delivered["detail"]["repo"] == REPO and delivered["detail"]["alert_below"] == 0.8
            assert repo_of(await figures(client))["below_alert"] is True
            # Recovered (50 of 60 files), then below again: a second fall fires again.
            await report(client, "alex", "pre_push", commits=[commit("d4", 50, 50)])
            assert len(await _alerts(ctx)) == 1
            assert repo_of(await figures(client))["below_alert"] is False
            await report(client, "sam", "pre_push", commits=[commit("e5", 40, 0)])
            assert len(await _alerts(ctx)) == 2


async def test_without_a_threshold_nothing_fires(client: httpx.AsyncClient) -> None:
    await report(client, "sam", "pre_push", commits=[commit("b2", 4, 0)])
    ctx: AppContext = client._transport.app.state.coord  # type: ignore[attr-defined]
    assert await _alerts(ctx) == []
    listing = await figures(client)
    assert listing["alert_below"] == 0 and repo_of(listing)["below_alert"] is False


def test_migration_0007_creates_the_tables_as_the_schema_declares(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "coord.db"))
    try:
        assert migrate(engine) == "0007"
        inspector = sa.inspect(engine)
        for table in (schema.adherence_commits, schema.adherence_edits, schema.adherence_alerts):
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            assert columns == set(table.c.keys()), table.name
            key = inspector.get_pk_constraint(table.name)["constrained_columns"]
            assert key == [column.name for column in table.primary_key], table.name
            indexes = {index["name"] for index in inspector.get_indexes(table.name)}
            assert indexes == {index.name for index in table.indexes}, table.name
    finally:
        engine.dispose()


async def test_retention_purges_figures_no_check_reported_within_it(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    app = create_app(make_settings(retention_days=5, disable_background_cleanup=True), clock)
    async with serve(app) as client:
        ctx: AppContext = app.state.coord
        await report(client, "alex", "pre_push", commits=[commit("a1", 1, 1), commit("b2", 1, 0)])
        await report(client, "alex", "reconcile", undeclared=["old.py", "kept.py"])
        clock.advance(days=4)
        await report(client, "alex", "ci", commits=[commit("b2", 1, 1)])  # checked again
        await report(client, "alex", "reconcile", undeclared=["kept.py"])  # seen again
        clock.advance(days=2)
        purged = await ctx.retention.purge(clock())
        assert (purged["adherence_commits"], purged["adherence_edits"]) == (1, 1)
        month = repo_of(await figures(client, days=30))
        assert (month["commits"], month["undeclared_edits"]) == (1, {"reconcile": 1})
