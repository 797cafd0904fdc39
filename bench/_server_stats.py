"""What a load run measured: per-process samples, and their combination into one row."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Sample:
    """What one worker process saw inside the measured window."""

    window_sec: float
    operations: int = 0
    requests: int = 0
    answered: int = 0
    """Every answer, warm-up included: what the server's CPU time is divided by."""
    latencies_ns: list[int] = field(default_factory=list)
    unexpected: Counter[str] = field(default_factory=Counter)
    """`METHOD route -> status` of answers that were not the expected status."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """The combined result of every worker process for one workload."""

    operations_per_sec: float
    requests_per_sec: float
    p50_ms: float
    p99_ms: float
    unexpected: dict[str, int]
    server_cpu_percent: float = math.nan
    """Server process CPU time over wall time, warm-up included (100 = one core saturated)."""
    server_cpu_us: float = math.nan
    """Server process CPU time per answered request, in microseconds."""
    server_wait_percent: float = math.nan
    """Time the server was runnable but waited for a CPU, over wall time (a busy machine)."""
    server_cpu_us_per_op: float = math.nan
    """Server process CPU time per operation (a claim+release cycle is one), in microseconds."""
    server_rss_mib: float = math.nan
    """The server's resident memory right after the window, in MiB."""


def combine(
    samples: Sequence[Sample], server: CpuUse | None = None, rss_mib: float = math.nan
) -> Measurement:
    """One measurement from the samples of every worker process (all of one window)."""
    window_sec = samples[0].window_sec
    answered = sum(sample.answered for sample in samples)
    requests = sum(sample.requests for sample in samples)
    operations = sum(sample.operations for sample in samples)
    # Warm-up answers are paid for too: operations scale with the share measured in the window.
    per_op = (
        server.per_request_us(answered) * requests / operations
        if server and operations
        else math.nan
    )
    latencies = sorted(ns for sample in samples for ns in sample.latencies_ns)
    unexpected: Counter[str] = Counter()
    for sample in samples:
        unexpected.update(sample.unexpected)
    return Measurement(
        operations_per_sec=sum(sample.operations for sample in samples) / window_sec,
        requests_per_sec=sum(sample.requests for sample in samples) / window_sec,
        p50_ms=_percentile(latencies, 50) / 1e6,
        p99_ms=_percentile(latencies, 99) / 1e6,
        unexpected=dict(unexpected),
        server_cpu_percent=server.percent if server else math.nan,
        server_cpu_us=server.per_request_us(answered) if server else math.nan,
        server_wait_percent=server.wait_percent if server else math.nan,
        server_cpu_us_per_op=per_op,
        server_rss_mib=rss_mib,
    )


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU time a server process spent over a stretch of wall time."""

    cpu_sec: float
    wait_sec: float
    """Time spent runnable but waiting for a CPU."""
    wall_sec: float

    @property
    def percent(self) -> float:
        """CPU time over wall time, in percent of one core."""
        return 100 * self.cpu_sec / self.wall_sec if self.wall_sec > 0 else math.nan

    @property
    def wait_percent(self) -> float:
        """Time waiting for a CPU over wall time, in percent."""
        return 100 * self.wait_sec / self.wall_sec if self.wall_sec > 0 else math.nan

    def per_request_us(self, requests: int) -> float:
        """CPU microseconds per request, when `requests` were answered in that stretch."""
        return 1e6 * self.cpu_sec / requests if requests else math.nan


def _percentile(ordered: Sequence[int], percent: float) -> float:
    """Nearest-rank percentile of sorted values (NaN when there are none)."""
    if not ordered:
        return math.nan
    rank = math.ceil(percent / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])
