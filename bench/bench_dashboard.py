"""The dashboard's cost: render time at scale, and claim throughput beside open event streams.

Run with `uv run nox -s bench` or `uv run python bench/bench_dashboard.py [--quick]`.

1. Render: an in-process app on a fresh SQLite database holds 10,000 active claims (200 engineers
   in 20 repos) and 1,000 hotspot patterns; `GET /dashboard` is rendered repeatedly through ASGI
   and the median and p95 server time are printed (target: median under 100 ms).
2. Streams: the real `coord-api` serves claim+release cycles from 16 clients, once alone and once
   with 50 dashboard event streams open and reading (each commit wakes every one of them). The
   runs alternate in pairs and the median ratio is printed (target: at most 15% lower).

Timings are reported, never asserted. Everything stays on loopback; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _server_repo import make_repo
from _server_stats import Measurement
from bench_webhook_impact import FULL, QUICK, TRACKED_FILES, Plan, coord_api, measure

from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import load_settings
from coord_server.storage import schema

CLAIMS = 10_000
HOTSPOTS = 1_000
PER_REQUEST = 50
STREAMS = 50
RENDERS = 20
STREAM_READY_SEC = 30.0


async def _fill(client: httpx.AsyncClient, claims: int) -> None:
    for batch in range(claims // PER_REQUEST):
        patterns = [{"pattern": f"src/b{batch}/f{n}.ts"} for n in range(PER_REQUEST)]
        body = {"engineer": f"eng{batch % 200}", "repo": f"acme/r{batch % 20}", "claims": patterns}
        answer = await client.post("/claims", json=body)
        if answer.status_code != 200:
            raise RuntimeError(f"filling claims failed: {answer.status_code} {answer.text}")


async def _hotspot_rows(ctx: AppContext, hotspots: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {"repo": f"acme/r{n % 20}", "pattern": f"src/hot{n}.ts", "engineer": f"eng{k}",
         "holder_claim_id": "clm_bench", "at": now - timedelta(hours=k + 1)}
        for n in range(hotspots)
        for k in range(1 + n % 6)
    ]  # fmt: skip
    async with ctx.store.transaction() as tx:
        await tx.execute(schema.blocked_attempts.insert(), rows)


async def render_times(
    scratch: Path, claims: int, hotspots: int, renders: int
) -> tuple[list[float], list[float]]:
    """Server time of `GET /dashboard` in ms, `renders` times with the hotspot ranking kept and
    `renders` times with it read afresh, after one warm-up."""
    token = secrets.token_urlsafe(24)
    settings = load_settings(auth_token=token, database_path=scratch / "render.db",
                             disable_background_cleanup=True)  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                     headers=headers, timeout=60) as client:  # fmt: skip
            await _fill(client, claims)
            await _hotspot_rows(app.state.coord, hotspots)
            await client.get("/dashboard")
            cached = [await _render(client) for _ in range(renders)]
            fresh = []
            for _ in range(renders):
                del app.state.dashboard_rankings  # as after a new blocked attempt
                fresh.append(await _render(client))
            return cached, fresh


async def _render(client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    answer = await client.get("/dashboard")
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"render failed: {answer.status_code}")
    return elapsed


class Streams:
    """`count` dashboard event streams, read in a thread of their own until closed."""

    def __init__(self, port: int, token: str, count: int) -> None:
        self.url = f"http://127.0.0.1:{port}/dashboard/events"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.count = count
        self.messages = 0
        self.connected = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Streams:
        self._thread.start()
        if not self._ready.wait(STREAM_READY_SEC):
            raise RuntimeError(f"only {self.connected} of {self.count} streams opened")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(STREAM_READY_SEC)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        # A stream is silent between commits: only connecting is bounded, not reading.
        timeout = httpx.Timeout(STREAM_READY_SEC, read=None)
        limits = httpx.Limits(max_connections=None)
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
            readers = [asyncio.create_task(self._read(client)) for _ in range(self.count)]
            await self._stop.wait()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    async def _read(self, client: httpx.AsyncClient) -> None:
        async with client.stream("GET", self.url, headers=self.headers) as answer:
            self.connected += 1
            if self.connected == self.count:
                self._ready.set()
            async for line in answer.aiter_lines():
                if line.startswith("data:"):
                    self.messages += 1


def stream_impact(
    scratch: Path, plan: Plan, streams: int, rounds: int
) -> tuple[list[Measurement], list[Measurement], int]:
    """Claim+release throughput alone and beside `streams` open dashboard streams, in `rounds`
    alternating pairs (a shared machine drifts: each pair is compared with itself)."""
    token = secrets.token_urlsafe(24)
    repo = make_repo(scratch / "repo", TRACKED_FILES)
    limits = {"COORD_MAX_EVENT_STREAMS": str(streams + 10)}
    context = multiprocessing.get_context("spawn")
    alone: list[Measurement] = []
    beside: list[Measurement] = []
    received = 0
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        for _ in range(rounds):
            with coord_api(scratch, token, repo, limits) as port:
                alone.append(measure(pool, port, token, plan))
            with (
                coord_api(scratch, token, repo, limits) as port,
                Streams(port, token, streams) as s,
            ):
                beside.append(measure(pool, port, token, plan))
                received += s.messages
    return alone, beside, received


def _p95(times: Sequence[float]) -> float:
    return sorted(times)[max(0, round(0.95 * len(times)) - 1)]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small data, tiny windows")
    options, _unknown = parser.parse_known_args(argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print both tables."""
    quick = _parse(argv).quick
    plan = QUICK if quick else FULL
    claims, hotspots, renders = (500, 50, 3) if quick else (CLAIMS, HOTSPOTS, RENDERS)
    streams = 5 if quick else STREAMS
    with tempfile.TemporaryDirectory(prefix="coord-bench-dashboard-") as scratch_name:
        scratch = Path(scratch_name)
        cached, fresh = asyncio.run(render_times(scratch, claims, hotspots, renders))
        alone, beside, received = stream_impact(scratch, plan, streams, 1 if quick else 5)
    print("| dashboard render | claims | hotspot patterns | renders | median ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, times in (("ranking kept", cached), ("ranking read afresh", fresh)):
        print(f"| GET /dashboard, {label} | {claims:,} | {hotspots:,} | {renders} | "
              f"{statistics.median(times):.1f} | {_p95(times):.1f} |")  # fmt: skip
    print()
    print("| claim+release, pair | alone req/s | beside streams req/s | ratio | unexpected |")
    print("|---|---:|---:|---:|---:|")
    ratios = []
    for index, (solo, shared) in enumerate(zip(alone, beside, strict=True), start=1):
        ratio = shared.requests_per_sec / solo.requests_per_sec if solo.requests_per_sec else 0
        ratios.append(ratio)
        unexpected = sum(solo.unexpected.values()) + sum(shared.unexpected.values())
        print(f"| {index} | {solo.requests_per_sec:,.0f} | {shared.requests_per_sec:,.0f} | "
              f"{ratio:.2f} | {unexpected} |")  # fmt: skip
    median = statistics.median(ratios)
    print(f"\nWith {streams} streams open: median {median:.2f}x the requests/s of none "
          f"(target: at least 0.85x); the streams received {received:,} messages.")  # fmt: skip
    print(f"{plan.clients} clients, {plan.warmup_sec:g} s warm-up, {plan.window_sec:g} s measured.")
    return 1 if any(run.unexpected for run in (*alone, *beside)) else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
