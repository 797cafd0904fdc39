"""Adherence (SPEC §16): stores what the checks saw, answers the figures, fires the alert.

A report is stored in a unit holding its repo, so the covered share it leaves is judged under
the same lock as every other report of that repo: of two reports crossing the threshold
together, exactly one fires `adherence_low`. The event goes through the unit's event batch,
so it reaches the log, the webhook outbox and the live stream like every other event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coord_protocol.adherence import (
    DEFAULT_WINDOW_DAYS,
    AdherenceFigures,
    AdherenceMetrics,
    AdherenceReport,
    AdherenceReportResponse,
    EngineerAdherence,
    RepoAdherence,
)
from coord_protocol.vocab import EventType
from coord_server.service.arbiter import Arbiter, Clock, Unit
from coord_server.storage import Row, Store, repo_key

ALERT_WINDOW = timedelta(days=DEFAULT_WINDOW_DAYS)
"""The covered share the alert watches: the last 7 days of pushed commits."""


class Adherence:
    """`POST /adherence/reports` and `GET /metrics/adherence`."""

    def __init__(self, store: Store, arbiter: Arbiter, clock: Clock, alert_below: float) -> None:
        self.store = store
        self.arbiter = arbiter
        self.clock = clock
        self.alert_below = alert_below

    async def report(
        self, engineer: str, repo: str | None, report: AdherenceReport
    ) -> AdherenceReportResponse:
        """Store one check's findings; fire `adherence_low` when they take the repo below."""
        key = repo_key(repo)
        source = report.source.value
        async with self.arbiter.hold([repo]) as unit:
            commits = _commit_rows(key, engineer, source, report, unit.now)
            edits = _edit_rows(key, engineer, source, report.undeclared, unit.now)
            await self.store.adherence.record_commits(unit.tx, commits)
            await self.store.adherence.record_edits(unit.tx, edits)
            if commits and self.alert_below > 0:
                await self._judge(unit, repo, engineer)
        return AdherenceReportResponse(
            repo=repo, engineer=engineer, source=report.source,
            commits=len(commits), undeclared=len(edits),
        )  # fmt: skip

    async def _judge(self, unit: Unit, repo: str | None, engineer: str) -> None:
        key = repo_key(repo)
        rows = self.store.adherence
        files, covered = await rows.repo_coverage(unit.tx, key, unit.now - ALERT_WINDOW)
        share = covered / files if files else 1.0
        alerted = await rows.alerted(unit.tx, key)
        if share < self.alert_below and not alerted:
            await rows.mark_alerted(unit.tx, key, share, unit.now)
            unit.events.add(
                EventType.ADHERENCE_LOW, repo, engineer,
                covered_share=round(share, 4), alert_below=self.alert_below,
                files=files, covered_files=covered, days=ALERT_WINDOW.days,
            )  # fmt: skip
        elif share >= self.alert_below and alerted:
            await rows.clear_alert(unit.tx, key)

    async def figures(self, days: int, repo: str | None) -> AdherenceMetrics:
        """Per repo and engineer over the last `days` days (`repo`: that repo only)."""
        since = self.clock() - timedelta(days=days)
        key = None if repo is None else repo_key(repo)
        commits = await self.store.adherence.commit_figures(since, key)
        edits = await self.store.adherence.edit_figures(since, key)
        repos = _tally(commits, edits).repos(self.alert_below)
        return AdherenceMetrics(
            days=days, since=since, alert_below=self.alert_below, repos=repos, count=len(repos)
        )


def _commit_rows(
    key: str, engineer: str, source: str, report: AdherenceReport, now: datetime
) -> list[Row]:
    # One row per commit: PostgreSQL refuses an upsert touching the same key twice.
    latest = {commit.sha: commit for commit in report.commits}
    return [
        {"repo": key, "sha": commit.sha, "engineer": engineer, "source": source,
         "files": commit.files, "covered": commit.covered, "trailers": commit.trailers,
         "first_at": now, "last_at": now}
        for commit in latest.values()
    ]  # fmt: skip


def _edit_rows(
    key: str, engineer: str, source: str, paths: Iterable[str], now: datetime
) -> list[Row]:
    return [
        {"repo": key, "engineer": engineer, "source": source, "path_hash": _path_hash(path),
         "path": path, "first_at": now, "last_at": now}
        for path in dict.fromkeys(paths)
    ]  # fmt: skip


def _path_hash(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Counts:
    files: int = 0
    covered: int = 0
    commits: int = 0
    with_trailers: int = 0
    edits: dict[str, int] = field(default_factory=dict)

    def add(self, other: _Counts) -> None:
        self.files += other.files
        self.covered += other.covered
        self.commits += other.commits
        self.with_trailers += other.with_trailers
        for source, count in other.edits.items():
            self.edits[source] = self.edits.get(source, 0) + count

    def figures(self) -> AdherenceFigures:
        return AdherenceFigures(
            files=self.files, covered_files=self.covered,
            covered_share=_share(self.covered, self.files),
            commits=self.commits, commits_with_trailers=self.with_trailers,
            trailer_share=_share(self.with_trailers, self.commits),
            undeclared_edits=dict(sorted(self.edits.items())),
        )  # fmt: skip


@dataclass
class _Tally:
    """Counts per repo key, then per engineer."""

    counts: dict[str, dict[str, _Counts]] = field(default_factory=dict)

    def of(self, key: str, engineer: str) -> _Counts:
        return self.counts.setdefault(key, {}).setdefault(engineer, _Counts())

    def repos(self, alert_below: float) -> list[RepoAdherence]:
        listed = []
        for key in sorted(self.counts):
            total = _Counts()
            people = []
            for engineer, counts in sorted(self.counts[key].items()):
                total.add(counts)
                people.append(
                    EngineerAdherence.model_validate(
                        {**dict(counts.figures()), "engineer": engineer}
                    )
                )
            figures = total.figures()
            share = figures.covered_share
            low = alert_below > 0 and share is not None and share < alert_below
            extra = {"repo": key or None, "below_alert": low, "engineers": people}
            listed.append(RepoAdherence.model_validate({**dict(figures), **extra}))
        return listed


def _tally(commits: Sequence[Row], edits: Sequence[Row]) -> _Tally:
    tally = _Tally()
    for row in commits:
        counts = tally.of(row["repo"], row["engineer"])
        counts.files, counts.covered = int(row["files"] or 0), int(row["covered"] or 0)
        counts.commits, counts.with_trailers = int(row["commits"]), int(row["with_trailers"] or 0)
    for row in edits:
        tally.of(row["repo"], row["engineer"]).edits[row["source"]] = int(row["edits"])
    return tally


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
