"""The server benchmark's tables (markdown) and their place in docs/performance.md."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _server_stats import Measurement

BEGIN_MARKER = "<!-- bench_server:begin (written by bench/bench_server.py) -->"
END_MARKER = "<!-- bench_server:end -->"

SCENARIOS = {
    "claim_release": "claim+release (cycles)",
    "symbol_release": "symbol claim+release (cycles)",
    "conflicts": "GET /conflicts",
    "contended": "contended claim (409)",
    "ceiling": "ceiling: Starlette + 1 SQLite insert",
    "canned": "client ceiling (canned answers)",
    "canned_httpx": "client ceiling, httpx (canned answers)",
}


@dataclass(frozen=True, slots=True)
class Row:
    """One measured cell: a workload at a number of active claims in a repo of some size."""

    kind: str
    active_claims: int | None
    tracked_files: int | None
    measurement: Measurement
    ceiling_cpu_us: float = math.nan
    """The ceiling's server CPU per request, measured just before this cell (NaN: not)."""


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _number(value: float, digits: int = 0) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


REQUESTS_PER_OPERATION = {"claim_release": 2, "symbol_release": 2}
"""Requests one operation makes (1 unless named): what its ceiling is multiplied by."""

CANNED = frozenset({"canned", "canned_httpx"})


def results_table(rows: Sequence[Row]) -> str:
    """The markdown table of every measured cell."""
    lines = [
        "| scenario | active claims | tracked files | ops/s | requests/s | p50 ms | p99 ms "
        "| server CPU % | server CPU µs/request | server CPU µs/op | ceiling µs/request beside "
        "| x ceiling "
        "| server waited for CPU % | server RSS MiB | unexpected answers |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        m = row.measurement
        unexpected = ", ".join(f"{k}: {v}" for k, v in sorted(m.unexpected.items())) or "0"
        ratio = "-" if row.kind in CANNED else _number(ceiling_ratio(rows, row), 2)
        lines.append(
            f"| {SCENARIOS[row.kind]} | {_count(row.active_claims)} "
            f"| {_count(row.tracked_files)} | {_number(m.operations_per_sec)} "
            f"| {_number(m.requests_per_sec)} | {_number(m.p50_ms, 2)} | {_number(m.p99_ms, 2)} "
            f"| {_number(m.server_cpu_percent)} | {_number(m.server_cpu_us)} "
            f"| {_number(m.server_cpu_us_per_op)} | {_number(row.ceiling_cpu_us)} | {ratio} "
            f"| {_number(m.server_wait_percent)} | {_number(m.server_rss_mib)} | {unexpected} |"
        )
    return "\n".join(lines)


def ceiling_ratio(rows: Sequence[Row], row: Row) -> float:
    """Server CPU per operation of `row` over the ceiling's for as many requests: the ceiling
    measured beside the cell, else the one of the run's start."""
    ceiling_us = row.ceiling_cpu_us
    if math.isnan(ceiling_us):
        first = next((r.measurement for r in rows if r.kind == "ceiling"), None)
        ceiling_us = first.server_cpu_us if first is not None else math.nan
    if not ceiling_us > 0:
        return math.nan
    requests = REQUESTS_PER_OPERATION.get(row.kind, 1)
    return row.measurement.server_cpu_us_per_op / (requests * ceiling_us)


def targets_table(rows: Sequence[Row], levels: Sequence[int], sizes: Sequence[int]) -> str:
    """Each target of the issue beside the measured value that decides it (worst cell)."""
    service = [row for row in rows if row.active_claims is not None]
    lines = ["| target | measured (worst cell) | met |", "|---|--:|---|"]
    lines += _cpu_targets(rows, service, levels, sizes)
    lines += _throughput_targets(rows, service)
    for axis, along, held, name in (
        (levels, _claims_of, _files_of, "claims"),
        (sizes, _files_of, _claims_of, "files"),
    ):
        ends = f"{axis[0]:,} vs {axis[-1]:,} {name}"
        for measure, label in ((_rate, "ops/s"), (_cpu, "server CPU per request")):
            change = _largest_change(service, axis, along, held, measure)
            if change is not None:
                lines.append(_target(f"< 20% change, {ends} ({label})", change, " %", change < 20))
    return "\n".join(lines)


def _cpu_targets(
    rows: Sequence[Row], service: Sequence[Row], levels: Sequence[int], sizes: Sequence[int]
) -> list[str]:
    """The claim path's targets, as ratios within this run (server CPU per operation)."""
    lines = []
    cycles = [r for r in service if r.kind == "claim_release"]
    if cycles:
        worst = max(ceiling_ratio(rows, r) for r in cycles)
        name = "claim+release CPU per cycle <= 3x two ceiling requests"
        lines.append(_target(name, worst, "x", worst <= 3))
    file_cpu = {(r.active_claims, r.tracked_files): _per_op(r.measurement) for r in cycles}
    symbol_ratios = [
        _per_op(r.measurement) / file_cpu[r.active_claims, r.tracked_files]
        for r in service
        if r.kind == "symbol_release" and (r.active_claims, r.tracked_files) in file_cpu
    ]
    if symbol_ratios:
        worst = max(symbol_ratios)
        name = "symbol claim+release CPU per cycle <= 1.5x a file claim's (same cell)"
        lines.append(_target(name, worst, "x", worst <= 1.5))
    for kind in ("claim_release", "symbol_release"):
        for axis, along, held, noun in (
            (levels, _claims_of, _files_of, "claims"),
            (sizes, _files_of, _claims_of, "files"),
        ):
            of_kind = [r for r in service if r.kind == kind]
            # As multiples of the ceiling beside each cell: the machine's drift cancels out.
            change = _largest_row_change(
                of_kind, axis, along, held, lambda row: ceiling_ratio(rows, row)
            )
            if change is not None:
                ends = f"{axis[0]:,} vs {axis[-1]:,} {noun}"
                name = f"{SCENARIOS[kind]} CPU per cycle (x ceiling) within 10%, {ends}"
                lines.append(_target(name, change, " %", change <= 10))
    largest = [r.measurement.server_rss_mib for r in service if r.tracked_files == max(sizes)]
    if largest and sizes[-1] >= 100_000:
        worst = max(largest)
        name = f"server RSS at {max(sizes):,} tracked files < 150 MiB (any number of claims)"
        lines.append(_target(name, worst, " MiB", worst < 150))
    return lines


def _per_op(measurement: Measurement) -> float:
    return measurement.server_cpu_us_per_op


def _throughput_targets(rows: Sequence[Row], service: Sequence[Row]) -> list[str]:
    cycles = [r.measurement for r in service if r.kind == "claim_release"]
    checks = [r.measurement for r in service if r.kind == "conflicts"]
    ceiling = next((r.measurement for r in rows if r.kind == "ceiling"), None)
    lines = []
    if cycles:
        worst = min(m.operations_per_sec for m in cycles)
        lines.append(_target("claim+release >= 2,000 cycles/s", worst, "", worst >= 2000))
        if ceiling is not None and ceiling.requests_per_sec > 0:
            share = 100 * min(m.requests_per_sec for m in cycles) / ceiling.requests_per_sec
            lines.append(
                _target("claim+release requests >= 20% of the ceiling's", share, " %", share >= 20)
            )
    if checks:
        worst = min(m.operations_per_sec for m in checks)
        lines.append(_target("GET /conflicts >= 5,000/s", worst, "", worst >= 5000))
        p99 = max(m.p99_ms for m in checks)
        lines.append(_target("GET /conflicts p99 < 20 ms", p99, " ms", p99 < 20))
    return lines


def _target(target: str, value: float, unit: str, met: bool) -> str:
    return f"| {target} | {_number(value, 1)}{unit} | {'yes' if met else 'no'} |"


def _claims_of(row: Row) -> int | None:
    return row.active_claims


def _files_of(row: Row) -> int | None:
    return row.tracked_files


def _rate(measurement: Measurement) -> float:
    return measurement.operations_per_sec


def _cpu(measurement: Measurement) -> float:
    return measurement.server_cpu_us


def _largest_change(
    rows: Sequence[Row],
    axis: Sequence[int],
    along: Callable[[Row], int | None],
    held: Callable[[Row], int | None],
    measure: Callable[[Measurement], float],
) -> float | None:
    """The largest relative change of `measure` between the ends of `axis`, all else equal."""
    if len(axis) < 2:
        return None
    return _largest_row_change(rows, axis, along, held, lambda row: measure(row.measurement))


def _largest_row_change(
    rows: Sequence[Row],
    axis: Sequence[int],
    along: Callable[[Row], int | None],
    held: Callable[[Row], int | None],
    value_of: Callable[[Row], float],
) -> float | None:
    """`_largest_change` of a value read off the whole row."""
    if len(axis) < 2:
        return None
    value = {(r.kind, along(r), held(r)): value_of(r) for r in rows}
    changes = [
        100 * abs(value[kind, axis[-1], other] - first) / first
        for (kind, position, other), first in value.items()
        if position == axis[0] and (kind, axis[-1], other) in value and first > 0
    ]
    return max(changes, default=None)


def machine() -> str:
    """One line naming the machine, the interpreter and how busy the machine was."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average before the run: {load}"
    )


def code_version() -> str:
    """The commit measured, marked `+changes` when the work tree differs from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = _git(root, "rev-parse", "--short", "HEAD").strip()
        changed = bool(_git(root, "status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {commit}" + (" +changes" if changed else "")


def _git(root: Path, *args: str) -> str:
    command = ["git", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout  # noqa: S603


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown CPU"


def section(results: str, targets: str, notes: Sequence[str], measured_on: str) -> str:
    """The generated part of docs/performance.md, between its markers.

    `measured_on` is `machine()` as it was when the run started.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    bullet_notes = "\n".join(f"- {note}" for note in notes)
    return (
        f"{BEGIN_MARKER}\n\nMeasured {stamp}, {code_version()}, on: {measured_on}.\n\n"
        f"{bullet_notes}\n\n"
        f"{results}\n\nAgainst the targets:\n\n{targets}\n\n{END_MARKER}"
    )


def write_section(document: Path, generated: str) -> None:
    """Replace the generated part of `document` (or append it), keeping the written prose."""
    text = document.read_text() if document.exists() else "# Performance\n"
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start != -1 and end > start:
        text = text[:start] + generated + text[end + len(END_MARKER) :]
    else:
        text = text.rstrip("\n") + "\n\n" + generated + "\n"
    document.parent.mkdir(parents=True, exist_ok=True)
    document.write_text(text)
