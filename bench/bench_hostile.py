"""Hostile input: what the costliest admitted patterns cost, and what they do to everyone else.

Run with `uv run nox -s bench` or `uv run python bench/bench_hostile.py [--quick]`.

1. Engine: the most expensive admitted pattern (or pair) for compile, overlap, covers and
   matching, each from cold (fresh automata, no cached results), best of several runs, in ms.
   The overlap and covers rows are pairs that run into their budget, so they are what any
   admitted pair can cost at most. Target: under 5 ms each.
2. Server: 16 clients claim and release disjoint files against a real `coord-api` with a
   checkout, first alone, then while one more client sends the most expensive admitted
   requests it can (over-budget overlaps, narrowed answers over the inclusion budget, batches
   of costly globs) as fast as it is answered. Targets: their throughput drops by less than
   20%, their p99 stays under 50 ms. Both windows run in the same process, one after the other.

Timings are printed, never asserted; an unexpected status makes the exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import multiprocessing
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _server_load import REPO, Workload, run_share
from _server_process import coord_api
from _server_repo import make_repo
from _server_stats import Measurement, combine

from coord_engine import PatternTooComplex, Work
from coord_engine._automaton import compile_pattern
from coord_engine._search import _moves
from coord_engine.budget import COVERS_STEPS, OVERLAP_STEPS, Meter
from coord_engine.matching import _compile_test
from coord_engine.overlap import _find_counterexample, _find_witness, _overlap_subject

CLIENTS = 16
TRACKED = 1000

COSTLIEST_COMPILE = "/".join(["*?*?*?*?"] * 2) + "/" + "a" * 200
OVERLAP_PAIR = ("x/*" + "a" * 200, "x/*" + "a" * 199 + "b")
COVERS_PAIR = ("*a" + "?" * 7, "*a" + "?" * 6 + "a")
MATCH_CASES = [
    ("x/*a*a*a*a*b", "x/" + "a" * 4000),
    ("**/*a" + "?" * 7, "/".join(["ab" * 60] * 33)),
    ("*?*?*?*?", "q" * 4000),
]


@dataclass(frozen=True, slots=True)
class Plan:
    runs: int
    window_sec: float


FULL = Plan(runs=20, window_sec=5.0)
QUICK = Plan(runs=3, window_sec=1.0)


def _best_ms(action: Callable[[], Any], runs: int) -> tuple[float, float]:
    """The best and the median of `runs` timings, in ms (the median shows a busy machine)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with contextlib.suppress(PatternTooComplex):  # the budget stopping it is the cost
            action()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[0], timings[len(timings) // 2]


def engine_rows(plan: Plan) -> list[tuple[str, str, tuple[float, float]]]:
    """(operation, case, ms) for the costliest admitted inputs, each from cold."""
    a, b = OVERLAP_PAIR
    outer, inner = COVERS_PAIR
    # The searches read the cached automata (compile has its own row) but no cached result;
    # covers forgets its alphabet splits before each run, so every run is from cold.
    rows = [
        ("compile", COSTLIEST_COMPILE[:30] + "...", _best_ms(
            lambda: compile_pattern(COSTLIEST_COMPILE, Work()), plan.runs)),
        ("overlap (stops at budget)", f"{a[:12]}... vs {b[-6:]}", _best_ms(
            lambda: _find_witness(a, b, Meter(*_overlap_subject(a, b), OVERLAP_STEPS), None),
            plan.runs)),
        ("covers (stops at budget)", f"{outer} vs {inner}", _best_ms(
            lambda: _cold_counterexample(outer, inner), plan.runs)),
    ]  # fmt: skip
    for pattern, path in MATCH_CASES:
        test = _compile_test(pattern)
        test(path, None)  # the table learns this path's transitions once
        rows.append(("match", f"{pattern} on {len(path)} chars", _best_ms(
            functools.partial(test, path, None), plan.runs)))  # fmt: skip
    return rows


def _cold_counterexample(outer: str, inner: str) -> str | None:
    _moves.cache_clear()
    return _find_counterexample(outer, inner, Meter(inner, "covers", COVERS_STEPS), None)


# -- the server --------------------------------------------------------------------------


def _claim_release(pool: ProcessPoolExecutor, port: int, token: str, plan: Plan) -> Measurement:
    """The server benchmark's claim+release load (bench_server.py), 16 clients, one window."""
    workload = Workload(
        "claim_release", port, token, 0.5, plan.window_sec, CLIENTS, tracked_files=TRACKED
    )
    return combine([pool.submit(run_share, workload, list(range(CLIENTS))).result()])


def _hostile(port: int, token: str, stop: Any, sending: Any, counts: Any) -> None:
    """Send the costliest admitted requests until `stop` is set (runs in its own process).

    Every pattern is new, so no cached answer (or cached refusal) makes it cheap: a claim whose
    overlap with a held glob runs into the overlap budget, a batch of such patterns that runs
    into the request's total, and a narrowed answer whose inclusion runs into its budget.
    """
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
        _wait_until_ready(http)
        holder = "hostile/holder/main"
        held = http.post("/claims", json={"engineer": holder, "repo": REPO, "claims": [
            {"pattern": OVERLAP_PAIR[0]}, {"pattern": "q/" + COVERS_PAIR[0]}]})  # fmt: skip
        claim_ids = held.json().get("claim_ids", [])
        # One release request, answered `narrowed` again and again: a refused answer leaves it
        # pending, so only the inclusion check repeats.
        asked = http.post(
            "/requests",
            json={
                "claim_id": claim_ids[-1] if claim_ids else "none",
                "requester": "hostile/asker/main",
                "reason": "bench",
            },
        )
        request_id = asked.json().get("id", "missing")
        round_number = 0
        while not stop.is_set():
            round_number += 1
            answers = [
                http.post("/claims", json={"engineer": "hostile/bot/main", "repo": REPO,
                                           "claims": [{"pattern": _fresh(round_number, 0)}]}),
                http.post("/conflicts/batch", json={"engineer": "hostile/b/x", "repo": REPO,
                    "patterns": [_fresh(round_number, k) for k in range(1, 200)]}),
            ]  # fmt: skip
            answers.append(_narrow(http, request_id, holder, round_number))
            counts[0] += len(answers)
            counts[1] += sum(answer.status_code not in (200, 400, 409, 429) for answer in answers)
            sending.set()


def _fresh(round_number: int, index: int) -> str:
    """A glob never sent before whose overlap with `OVERLAP_PAIR[0]` runs into the budget."""
    return "x/*" + "a" * 180 + f"{round_number:07d}{index:04d}"


_READABLE = {code: "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[code]
             for code in range(62)}  # fmt: skip
"""Code points 0-61 as digits and letters, to spell a fresh inner pattern per round."""


def _wait_until_ready(http: httpx.Client) -> None:
    while http.get("/readyz").status_code != 200:
        time.sleep(0.05)  # not expected: the server answered readiness before the load began


def _narrow(http: httpx.Client, request_id: str, holder: str, round_number: int) -> httpx.Response:
    inner = f"q/*a??????{round_number % 62:c}{round_number // 62 % 62:c}"
    inner = inner.translate(_READABLE)
    answer = {"decision": "narrowed", "engineer": holder, "narrowed_pattern": inner}
    return http.post(f"/requests/{request_id}/respond", json=answer)


Row = tuple[str, float, float, float]


def server_rows(plan: Plan) -> tuple[list[Row], int]:
    """(window, cycles/s, p99 ms, extra client's requests/s): alone, beside one more ordinary
    client (the control: what any seventeenth client costs), beside the hostile client."""
    token = secrets.token_hex(16)
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="coord-hostile-") as scratch_dir,
        ProcessPoolExecutor(1, mp_context=context) as pool,
    ):
        scratch = Path(scratch_dir)
        with coord_api(scratch, token, make_repo(scratch / "repo", TRACKED)) as server:
            alone = _claim_release(pool, server.port, token, plan)
            rows: list[Row] = [("16 clients alone", alone.operations_per_sec, alone.p99_ms, 0.0)]
            unexpected = sum(alone.unexpected.values())
            for label, hostile in (("+ 1 ordinary client", False), ("+ 1 hostile client", True)):
                row, wrong = _beside(context, pool, server.port, token, plan, hostile)
                rows.append((label, *row))
                unexpected += wrong
    return rows, unexpected


def _beside(
    context: Any, pool: ProcessPoolExecutor, port: int, token: str, plan: Plan, hostile: bool
) -> tuple[tuple[float, float, float], int]:
    stop, sending, counts = context.Event(), context.Event(), context.Array("l", [0, 0])
    other = context.Process(
        target=_other_client, args=(port, token, stop, sending, counts, hostile)
    )
    other.start()
    try:
        sending.wait(timeout=60)  # measured once it sends, not while it starts
        before = counts[0]
        beside = _claim_release(pool, port, token, plan)
        sent = counts[0] - before
    finally:
        stop.set()
        other.join(timeout=60)
    rate = sent / (plan.window_sec + 0.5)
    return (beside.operations_per_sec, beside.p99_ms, rate), sum(
        beside.unexpected.values()
    ) + counts[1]


def _other_client(
    port: int, token: str, stop: Any, sending: Any, counts: Any, hostile: bool
) -> None:
    if hostile:
        _hostile(port, token, stop, sending, counts)
        return
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
        round_number = 0
        while not stop.is_set():
            round_number += 1
            path = f"src/ordinary/file{round_number % 100}.ts"
            answer = http.get("/conflicts", params={"pattern": path, "engineer": "o/b/x",
                                                     "repo": REPO})  # fmt: skip
            counts[0] += 1
            counts[1] += answer.status_code != 200
            sending.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    # `nox -s bench -- ARGS` hands the same ARGS to every bench script: ignore the others'.
    options, _ = parser.parse_known_args()
    plan = QUICK if options.quick else FULL
    print("## hostile\n\n| operation | costliest admitted case | ms best | ms median | target |")
    print("|---|---|---:|---:|---|")
    for operation, case, (best, median) in engine_rows(plan):
        print(f"| {operation} | `{case}` | {best:.2f} | {median:.2f} | < 5 ms |")
    rows, unexpected = server_rows(plan)
    print("\n| window | claim+release cycles/s | p99 ms | extra client's requests/s |")
    print("|---|---:|---:|---:|")
    for label, rate, p99, extra in rows:
        print(f"| {label} | {rate:.0f} | {p99:.1f} | {extra:.1f} |")
    control, hostile = (rows[i][1] / rows[0][1] if rows[0][1] else float("nan") for i in (1, 2))
    print(f"\nthroughput beside the hostile client: {hostile:.0%} of alone (drop {1 - hostile:.0%},"
          f" target < 20%), beside an ordinary one: {control:.0%}; p99 beside the hostile client"
          f" {rows[2][2]:.1f} ms (target < 50 ms); unexpected statuses: {unexpected}")  # fmt: skip
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
