"""Load benchmark of the real `coord-api` process over loopback.

Run with `uv run nox -s bench` or `uv run python bench/bench_server.py [--quick]`. For each repo
size (1,000 and 100,000 tracked files) and each number of active claims (0, 1,000, 10,000) it
starts a fresh `coord-api` on a free port with a temp database and checkout, preloads the claims
through the API, and loads it from a separate process with 16 concurrent keep-alive clients:
claim+release cycles of disjoint files, `GET /conflicts` on random tracked paths, and claims that
answer 409 because another engineer holds the file. The same load runs against a trivial
Starlette endpoint doing one SQLite insert per request (the ceiling), and against a server that
answers with canned bytes (the load generator's own ceiling).

It prints a markdown table and, unless `--quick`, writes it into docs/performance.md. Timings are
reported, never asserted: a slow or busy machine never fails a build. Answers with an unexpected
status are counted in the table and make the exit status 1, since they mean the benchmark did
not measure what it says.
"""

from __future__ import annotations

import argparse
import multiprocessing
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from _server_load import REPO, Kind, Workload, run_share
from _server_process import Running, canned_server, ceiling_app, coord_api, cpu_times, rss_mib
from _server_repo import (
    HOT_FILES,
    SYMBOL_FILE,
    SYMBOL_PARTNERS,
    hot_path,
    make_repo,
    preload_pattern,
    symbol_name,
    tracked_path,
)
from _server_report import Row, machine, results_table, section, targets_table, write_section
from _server_stats import CpuUse, Measurement, combine

from coord_protocol.claims import ClaimSpec, CreateClaimsRequest, ReleaseClaimsRequest
from coord_protocol.client import ClientConfig, CoordClient
from coord_protocol.conflicts import ConflictBatchRequest

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
PRELOAD_BATCH = 200
PRELOAD_ENGINEERS = 50
DISTURBED_PERCENT = 20.0
"""Waiting for a CPU more than this share of a cell's time makes it worth measuring again."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Which cells to measure and for how long."""

    repo_sizes: tuple[int, ...]
    claim_levels: tuple[int, ...]
    warmup_sec: float
    window_sec: float
    clients: int = 16


FULL = Plan((1_000, 100_000), (0, 1_000, 10_000), warmup_sec=1.0, window_sec=3.0)
QUICK = Plan((200, 2_000), (0, 200), warmup_sec=0.2, window_sec=0.3)


class Loader:
    """Runs a workload's clients in worker processes and combines what they saw."""

    def __init__(self, pool: ProcessPoolExecutor, processes: int, retries: int = 0) -> None:
        self.pool = pool
        self.processes = processes
        self.retries = retries

    def measure(self, workload: Workload, server: Running) -> Measurement:
        """The least disturbed of up to `1 + retries` measurements.

        A measurement during which the server waited for a CPU more than `DISTURBED_PERCENT` of
        the time (other work on the machine) is taken again, up to `retries` times.
        """
        attempts = [self.measure_once(workload, server)]
        while (
            attempts[-1].server_wait_percent > DISTURBED_PERCENT and len(attempts) <= self.retries
        ):
            _progress(f"    server waited for a CPU {attempts[-1].server_wait_percent:.0f}%: again")
            attempts.append(self.measure_once(workload, server))
        return min(attempts, key=lambda m: m.server_wait_percent)

    def measure_once(self, workload: Workload, server: Running) -> Measurement:
        """Load with every client at once; one worker process per share of the clients."""
        clients = range(workload.clients)
        shares = [clients[p :: self.processes] for p in range(self.processes)]
        (run_before, wait_before), wall_before = cpu_times(server.pid), time.monotonic()
        futures = [self.pool.submit(run_share, workload, list(s)) for s in shares if s]
        samples = [future.result() for future in futures]
        run_after, wait_after = cpu_times(server.pid)
        wall = time.monotonic() - wall_before
        cpu = CpuUse(run_after - run_before, wait_after - wait_before, wall)
        return combine(samples, cpu, rss_mib(server.pid))


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and windows; no docs")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument(
        "--client-processes", type=int, default=1,
        help="worker processes sharing the clients (1; more only helps with more cores)",
    )  # fmt: skip
    parser.add_argument("--window", type=float, help="seconds measured per cell")
    parser.add_argument(
        "--retries", type=int, default=1,
        help="extra measurements of a cell disturbed by other work on the machine (1)",
    )  # fmt: skip
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/performance.md")
    # `nox -s bench -- ARGS` hands the same ARGS to every bench script: skip the others' flags.
    options, unknown = parser.parse_known_args(argv)
    if unknown:
        _progress(f"bench_server: ignoring arguments it does not know: {' '.join(unknown)}")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every cell, print the tables, record them; 1 when an answer was unexpected."""
    options = _parse(argv)
    plan = QUICK if options.quick else FULL
    plan = replace(plan, clients=options.clients, window_sec=options.window or plan.window_sec)
    started, measured_on = time.monotonic(), machine()
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="coord-bench-") as scratch_name,
        ProcessPoolExecutor(options.client_processes, mp_context=context) as pool,
    ):
        loader = Loader(pool, options.client_processes, 0 if options.quick else options.retries)
        rows = list(_all_rows(loader, Path(scratch_name), plan))
    results = results_table(rows)
    targets = targets_table(rows, plan.claim_levels, plan.repo_sizes)
    print(f"{results}\n\n{targets}\n\n(total {time.monotonic() - started:.0f} s)")
    if not (options.quick or options.no_docs):
        notes = _notes(options, plan)
        write_section(DOCUMENT, section(results, targets, notes, measured_on))
        print(f"written to {DOCUMENT}")
    return 1 if any(row.measurement.unexpected for row in rows) else 0


def _notes(options: argparse.Namespace, plan: Plan) -> list[str]:
    return [
        f"{options.clients} clients in {_count(options.client_processes, 'load process')}, "
        "one keep-alive connection each, closed loop; "
        f"{plan.warmup_sec:g} s warm-up, then {plan.window_sec:g} s measured per cell.",
        "ops/s counts operations (a claim+release cycle is one operation of two requests); "
        "p50/p99 are per request.",
        f"A cell during which the server waited for a CPU more than {DISTURBED_PERCENT:g}% of "
        f"the time was measured up to {_count(1 + options.retries, 'time')} in all; the least "
        "disturbed measurement is shown.",
        "The ceiling is measured again just before each cell (`ceiling µs/request beside`); "
        "`x ceiling` is the cell's server CPU per operation over the ceiling's for as many "
        "requests.",
    ]


def _count(number: int, noun: str) -> str:
    plural = "es" if noun.endswith("s") else "s"
    return f"{number} {noun}" if number == 1 else f"{number} {noun}{plural}"


def _all_rows(loader: Loader, scratch: Path, plan: Plan) -> Iterator[Row]:
    with canned_server(scratch) as canned:
        for kind in ("canned", "canned_httpx"):
            yield _reference_row(loader, kind, canned, plan)
    # The ceiling keeps running: it is measured again beside every cell, so each ratio compares
    # measurements minutes apart at most, on a machine whose speed drifts over a run.
    with ceiling_app(scratch) as ceiling:
        yield _reference_row(loader, "ceiling", ceiling, plan)
        for files in plan.repo_sizes:
            _progress(f"making a checkout of {files:,} tracked files")
            repo = make_repo(scratch / f"repo-{files}", files)
            for level in plan.claim_levels:
                beside = _reference_row(loader, "ceiling", ceiling, plan).measurement
                rows = _service_rows(loader, scratch, repo, files, level, plan)
                yield from (replace(row, ceiling_cpu_us=beside.server_cpu_us) for row in rows)


def _reference_row(loader: Loader, kind: Kind, server: Running, plan: Plan) -> Row:
    _progress(f"measuring {kind}")
    return Row(kind, None, None, loader.measure(_workload(kind, server, "", plan, 0), server))


def _service_rows(
    loader: Loader, scratch: Path, repo: Path, files: int, level: int, plan: Plan
) -> Iterator[Row]:
    token = secrets.token_urlsafe(24)
    with coord_api(scratch, token, repo) as server:
        config = ClientConfig(f"http://127.0.0.1:{server.port}", token)
        with CoordClient(config) as client:
            _progress(f"coord-api, {files:,} files: preloading {level:,} claims")
            _preload(client, level, files)
            _warm(client)
            for kind in ("claim_release", "conflicts"):
                _progress(f"  measuring {kind}")
                workload = _workload(kind, server, token, plan, files)
                yield Row(kind, level, files, loader.measure(workload, server))
            partners = _hold_symbols(client)
            _progress("  measuring symbol_release")
            workload = _workload("symbol_release", server, token, plan, files)
            yield Row("symbol_release", level, files, loader.measure(workload, server))
            client.release_claims(ReleaseClaimsRequest(claim_ids=partners))
            held = _hold_hot_files(client)
            _progress("  measuring contended")
            workload = _workload("contended", server, token, plan, files)
            yield Row("contended", level, files, loader.measure(workload, server))
            client.release_claims(ReleaseClaimsRequest(claim_ids=held))


def _workload(kind: Kind, server: Running, token: str, plan: Plan, files: int) -> Workload:
    return Workload(
        kind=kind,
        port=server.port,
        token=token,
        warmup_sec=plan.warmup_sec,
        window_sec=plan.window_sec,
        clients=plan.clients,
        tracked_files=files,
    )


def _preload(client: CoordClient, level: int, files: int) -> None:
    """`level` active claims by 50 engineers, granted through batch `POST /claims`."""
    by_engineer: dict[str, list[str]] = {}
    for number in range(level):
        engineer = f"preload/e{number % PRELOAD_ENGINEERS}"
        by_engineer.setdefault(engineer, []).append(preload_pattern(number, files))
    for engineer, patterns in by_engineer.items():
        for first in range(0, len(patterns), PRELOAD_BATCH):
            batch = patterns[first : first + PRELOAD_BATCH]
            _claim(client, engineer, batch)


def _claim(
    client: CoordClient, engineer: str, patterns: list[str], symbols: list[str] | None = None
) -> list[str]:
    specs = [ClaimSpec(pattern=pattern, symbols=symbols) for pattern in patterns]
    answer = client.create_claims(CreateClaimsRequest(engineer=engineer, repo=REPO, claims=specs))
    if answer.conflicts or len(answer.claim_ids) != len(patterns):
        raise RuntimeError(f"claims of {engineer} were refused: {answer.conflicts[:3]}")
    return answer.claim_ids


def _warm(client: CoordClient) -> None:
    # The first request lists the checkout and builds its index; no cell should pay for that.
    check = ConflictBatchRequest(patterns=[tracked_path(0)], engineer="bench/warm", repo=REPO)
    client.check_conflicts(check)


def _hold_hot_files(client: CoordClient) -> list[str]:
    return _claim(client, "bench/holder", [hot_path(n) for n in range(HOT_FILES)])


def _hold_symbols(client: CoordClient) -> list[str]:
    """One symbol of the hot file for each of `SYMBOL_PARTNERS` engineers (auto-coexist)."""
    return [
        claim_id
        for number in range(SYMBOL_PARTNERS)
        for claim_id in _claim(
            client, f"bench/partner{number}", [SYMBOL_FILE], [symbol_name(number)]
        )
    ]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
