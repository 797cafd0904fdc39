"""Replicas benchmark: SQLite, one PostgreSQL replica and three, side by side in one run.

Run with `uv run nox -s bench` or `uv run python bench/bench_replicas.py [--quick]`. It needs the
PostgreSQL server named by `COORD_BENCH_POSTGRES_URL` (default: the local one, user `postgres`,
trust auth); without one it says so and measures nothing. Each configuration gets a fresh
database (dropped afterwards) and real `coord-api` processes:

- claim+release cycles and `GET /conflicts` from 16 keep-alive clients, on one SQLite process,
  on one PostgreSQL replica, and on three PostgreSQL replicas with the clients spread over them
  and over three repos (so the repos' advisory locks do not serialise everything);
- with `--baseline-api PATH` (the `coord-api` of another checkout, say the last release), the
  same SQLite cell on that code, so a change's cost on one process is a ratio of one run;
- the cross-replica queue wake: a claim held through replica A, a waiter parked on replica B,
  the release sent to A; the time from the release's answer to the waiter's grant. The same
  on one SQLite process gives the single-process figure beside it.

It prints markdown tables and, unless `--quick`, writes them into docs/performance.md (its own
section). Nothing is asserted: figures are compared with each other, measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from _server_load import Kind, Workload
from _server_process import Running, coord_api
from _server_report import machine
from _server_stats import Measurement
from bench_server import Loader

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN_MARKER = "<!-- replicas: begin (written by bench/bench_replicas.py) -->"
END_MARKER = "<!-- replicas: end -->"
ADMIN_URL = os.environ.get(
    "COORD_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REPOS = ("acme/web", "acme/api", "acme/ops")
TRACKED_FILES = 1000
"""Paths the clients claim (no checkout is configured: only the names matter)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How long to measure, and how often to time the queue wake."""

    warmup_sec: float
    window_sec: float
    wakes: int
    clients: int = 16


FULL = Plan(warmup_sec=1.0, window_sec=3.0, wakes=30)
QUICK = Plan(warmup_sec=0.2, window_sec=0.5, wakes=5)


@dataclass(frozen=True, slots=True)
class Cell:
    """One configuration's figures."""

    name: str
    claim_release: Measurement
    conflicts: Measurement


def postgres_available() -> str | None:
    """None when the benchmark's PostgreSQL server answers, else why not."""
    try:
        import psycopg  # noqa: PLC0415 - only this benchmark needs it

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not here"
        return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database on the benchmark's server; dropped afterwards."""
    import psycopg  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    name = f"coord_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def replicas(scratch: Path, token: str, count: int, url: str | None) -> Iterator[list[Running]]:
    """`count` coord-api processes on PostgreSQL `url` (one SQLite process when url is None)."""
    settings = {"COORD_DATABASE_URL": url} if url else {}
    with contextlib.ExitStack() as stack:
        # One after the other: the first migrates the database, the others find it migrated.
        yield [
            stack.enter_context(coord_api(scratch, token, None, settings=settings))
            for _ in range(count)
        ]


def measure_cell(
    loader: Loader, name: str, servers: list[Running], token: str, plan: Plan, repos: int
) -> Cell:
    """claim+release and /conflicts with the clients spread over `servers` and `repos` repos."""

    def workload(kind: Kind) -> Workload:
        return Workload(
            kind=kind, port=servers[0].port, token=token, warmup_sec=plan.warmup_sec,
            window_sec=plan.window_sec, clients=plan.clients, tracked_files=TRACKED_FILES,
            ports=tuple(s.port for s in servers), repos=REPOS[:repos],
        )  # fmt: skip

    _progress(f"measuring {name}")
    return Cell(
        name,
        loader.measure(workload("claim_release"), servers[0]),
        loader.measure(workload("conflicts"), servers[0]),
    )


def queue_wakes(holder: Running, waiter: Running, token: str, count: int) -> list[float]:
    """Milliseconds from a release's answer (on `holder`) to the grant of a waiter (on `waiter`)."""
    headers = {"Authorization": f"Bearer {token}"}
    base = "http://127.0.0.1:{}"
    with (
        httpx.Client(base_url=base.format(holder.port), headers=headers, timeout=60) as near,
        httpx.Client(base_url=base.format(waiter.port), headers=headers, timeout=60) as far,
    ):
        return [_one_wake(near, far, number) for number in range(count)]


def _one_wake(near: httpx.Client, far: httpx.Client, number: int) -> float:
    body = {"engineer": "bench/holder", "repo": REPOS[0], "claims": [{"pattern": f"w/{number}"}]}
    held = near.post("/claims", json=body).json()["claim_ids"]
    granted_at: list[float] = []

    def wait() -> None:
        wanted = {**body, "engineer": "bench/waiter", "wait_seconds": 30}
        answer = far.post("/claims", json=wanted)
        granted_at.append(time.perf_counter())
        far.post("/claims/release", json={"claim_ids": answer.json()["claim_ids"]})

    thread = threading.Thread(target=wait)
    thread.start()
    _until_queued(near)
    near.post("/claims/release", json={"claim_ids": held})
    released_at = time.perf_counter()
    thread.join()
    return max(0.0, (granted_at[0] - released_at) * 1000)


def _until_queued(client: httpx.Client) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = client.get("/requests", params={"queued": "true", "all_repos": "true"}).json()
        if listed["count"]:
            return
        time.sleep(0.002)  # the waiter is parked by another process; its row is what we see
    raise RuntimeError("the waiter never appeared in the queue")


def _rate(measurement: Measurement) -> float:
    return measurement.operations_per_sec


def results_table(cells: Sequence[Cell]) -> str:
    """One row per configuration and workload."""
    lines = [
        "| configuration | workload | ops/s | p50 ms | p99 ms | unexpected |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for cell in cells:
        for label, m in (("claim+release", cell.claim_release), ("/conflicts", cell.conflicts)):
            lines.append(
                f"| {cell.name} | {label} | {_rate(m):,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} "
                f"| {sum(m.unexpected.values())} |"
            )
    return "\n".join(lines)


def targets_table(cells: Sequence[Cell], wakes: dict[str, list[float]]) -> str:
    """The issue's targets, each as the ratio or figure measured in this run."""
    sqlite, one, three = (_rate(cell.claim_release) for cell in cells[:3])
    wake_p50 = statistics.median(wakes["postgresql, A to B"])
    rows = [
        ("1 PostgreSQL replica / SQLite, claim+release", ">= 0.50", _ratio(one, sqlite)),
        ("3 replicas (3 repos) / 1 replica, claim+release", ">= 1.5", _ratio(three, one)),
    ]
    lines = ["| target | wanted | measured |", "|---|---|---:|"]
    lines += [f"| {name} | {wanted} | {value:.2f}x |" for name, wanted, value in rows]
    lines.append(f"| cross-replica queue wake, p50 | < 20 ms | {wake_p50:.1f} ms |")
    if len(cells) > 3:
        baseline = cells[3]
        for label, now, before in (
            ("claim+release", cells[0].claim_release, baseline.claim_release),
            ("/conflicts", cells[0].conflicts, baseline.conflicts),
        ):
            ratio = _ratio(_rate(now), _rate(before))
            lines.append(f"| SQLite {label} / baseline | >= 0.90 | {ratio:.2f}x |")
    return "\n".join(lines)


def _ratio(value: float, base: float) -> float:
    return value / base if base else float("nan")


def wakes_table(wakes: dict[str, list[float]]) -> str:
    """p50 and p99 of each queue-wake series."""
    lines = ["| queue wake | samples | p50 ms | max ms |", "|---|---:|---:|---:|"]
    for name, series in wakes.items():
        lines.append(
            f"| {name} | {len(series)} | {statistics.median(series):.1f} | {max(series):.1f} |"
        )
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short windows; no docs")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/performance.md")
    parser.add_argument(
        "--baseline-api", type=Path, help="coord-api of another checkout, measured beside this one"
    )
    options, _unknown = parser.parse_known_args(argv)  # the other bench scripts' flags
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every configuration; 1 when an answer was unexpected."""
    options = _parse(argv)
    plan = QUICK if options.quick else FULL
    missing = postgres_available()
    if missing is not None:
        print(f"bench_replicas: no PostgreSQL server at {ADMIN_URL} ({missing}); skipped")
        return 0
    measured_on, token = machine(), secrets.token_urlsafe(24)
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="coord-bench-") as scratch_name,
        ProcessPoolExecutor(1, mp_context=context) as pool,
    ):
        loader = Loader(pool, 1, 0 if options.quick else 1)
        cells, wakes = _measure_all(loader, Path(scratch_name), token, plan)
        if options.baseline_api is not None:
            cells.append(_baseline_cell(loader, Path(scratch_name), token, plan,
                                        options.baseline_api))  # fmt: skip
    tables = [results_table(cells), wakes_table(wakes), targets_table(cells, wakes)]
    print("\n\n".join(tables))
    if not (options.quick or options.no_docs):
        _write(tables, measured_on, plan)
    unexpected = any(
        sum(m.unexpected.values()) for c in cells for m in (c.claim_release, c.conflicts)
    )
    return 1 if unexpected else 0


def _measure_all(
    loader: Loader, scratch: Path, token: str, plan: Plan
) -> tuple[list[Cell], dict[str, list[float]]]:
    cells: list[Cell] = []
    wakes: dict[str, list[float]] = {}
    with replicas(scratch, token, 1, None) as (alone,):
        cells.append(measure_cell(loader, "SQLite, 1 process", [alone], token, plan, 1))
        wakes["SQLite, one process"] = queue_wakes(alone, alone, token, plan.wakes)
    with fresh_database() as url, replicas(scratch, token, 1, url) as servers:
        cells.append(measure_cell(loader, "PostgreSQL, 1 replica", servers, token, plan, 1))
    with fresh_database() as url, replicas(scratch, token, 3, url) as servers:
        name = "PostgreSQL, 3 replicas, 3 repos"
        cells.append(measure_cell(loader, name, servers, token, plan, 3))
        _progress("timing the cross-replica queue wake")
        wakes["postgresql, A to B"] = queue_wakes(servers[0], servers[1], token, plan.wakes)
    return cells, wakes


def _baseline_cell(loader: Loader, scratch: Path, token: str, plan: Plan, api: Path) -> Cell:
    with contextlib.ExitStack() as stack:
        alone = stack.enter_context(coord_api(scratch, token, None, api))
        return measure_cell(loader, "SQLite, 1 process, baseline", [alone], token, plan, 1)


def _write(tables: list[str], measured_on: str, plan: Plan) -> None:
    notes = (
        f"{plan.clients} clients, one keep-alive connection each, closed loop; "
        f"{plan.warmup_sec:g} s warm-up, then {plan.window_sec:g} s measured per cell. Every "
        "process (replicas, PostgreSQL, the load) shares this machine's cores."
    )
    body = "\n\n".join([BEGIN_MARKER, f"### Replicas\n\nMeasured on {measured_on}. {notes}",
                        *tables, END_MARKER])  # fmt: skip
    text = DOCUMENT.read_text()
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start != -1 and end > start:
        text = text[:start] + body + text[end + len(END_MARKER) :]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    DOCUMENT.write_text(text)
    print(f"written to {DOCUMENT}")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
