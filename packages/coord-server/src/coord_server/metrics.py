"""Prometheus metrics of one app instance (its own registry: no module-level state)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from coord_protocol.adherence import AdherenceMetrics
from coord_server.service.changes import Changes
from coord_server.storage import Row

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600)


class Metrics:
    """Counters for claims, conflicts and releases; HTTP traffic by route and status."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.claims_created = Counter(
            "coord_claims_created", "Claims granted.", registry=self.registry
        )
        self.conflicts = Counter(
            "coord_conflicts", "Claim requests refused with a conflict.", registry=self.registry
        )
        self.releases = Counter(
            "coord_releases", "Claims released or expired.", ["reason"], registry=self.registry
        )
        self.active_claims = Gauge(
            "coord_active_claims", "Claims holding now.", registry=self.registry
        )
        self.queue_depth = Gauge(
            "coord_queue_depth", "Claim requests waiting in the queue.", registry=self.registry
        )
        self.requests = Counter(
            "coord_http_requests", "HTTP requests by route, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "coord_http_request_duration_seconds", "Time to answer, by route.",
            ["route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.covered_share = Gauge(
            "coord_adherence_covered_share", "Share of changed files in pushed commits covered "
            "by a valid claim, last 7 days.", ["repo"], registry=self.registry,
        )  # fmt: skip
        self.trailer_share = Gauge(
            "coord_adherence_trailer_share", "Share of pushed commits carrying a Coord-Claim "
            "trailer, last 7 days.", ["repo"], registry=self.registry,
        )  # fmt: skip
        self.undeclared_edits = Gauge(
            "coord_adherence_undeclared_edits", "Files found edited without a claim, last 7 "
            "days, by the check that found them.", ["repo", "source"], registry=self.registry,
        )  # fmt: skip
        # Looking a labelled child up costs more than counting in it: keep the ones in use.
        self._counted: dict[tuple[str, str, int], Counter] = {}
        self._timed: dict[str, Histogram] = {}
        self._released: dict[str, Counter] = {}

    async def committed(self, changes: Changes, _events: Sequence[Row]) -> None:
        """After a commit: count what it granted, refused and ended."""
        granted = sum(len(batch.records) for batch in changes.granted)
        if granted:
            self.claims_created.inc(granted)
        if changes.refused:
            self.conflicts.inc(len(changes.refused))
        for batch in changes.released:
            self.count_releases(batch.reason, len(batch.records))

    def bind_gauges(self, active: Callable[[], int], queued: Callable[[], int]) -> None:
        """Read the live gauges from the service when scraped."""
        self.active_claims.set_function(lambda: float(active()))
        self.queue_depth.set_function(lambda: float(queued()))

    def show_adherence(self, figures: AdherenceMetrics) -> None:
        """Set the adherence gauges to `figures` (a repo without figures loses its series)."""
        for gauge in (self.covered_share, self.trailer_share, self.undeclared_edits):
            gauge.clear()
        for repo in figures.repos:
            label = repo.repo or ""
            if repo.covered_share is not None:
                self.covered_share.labels(label).set(repo.covered_share)
            if repo.trailer_share is not None:
                self.trailer_share.labels(label).set(repo.trailer_share)
            for source, count in repo.undeclared_edits.items():
                self.undeclared_edits.labels(label, source).set(count)

    def count_releases(self, reason: str, count: int) -> None:
        """Count claims released or expired for `reason`."""
        released = self._released.get(reason)
        if released is None:
            released = self._released[reason] = self.releases.labels(reason)
        released.inc(count)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        key = (route, method, status)
        counted = self._counted.get(key)
        if counted is None:
            counted = self._counted[key] = self.requests.labels(route, method, str(status))
        timed = self._timed.get(route)
        if timed is None:
            timed = self._timed[route] = self.latency.labels(route)
        counted.inc()
        timed.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
