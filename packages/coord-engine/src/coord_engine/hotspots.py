"""Hotspots: the patterns agents keep being blocked on, and what to do about them (SPEC §8).

Everything here counts records the server passes in; `now` comes in as an argument. Times may be
naive (read as UTC) or aware. A window of `days` ending at `now` holds the records with
`now - days < at`; a record stamped after `now` (another replica's clock) counts as at `now`.
docs/owners.md states the rules with their defaults.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from coord_engine.overlap import covers
from coord_engine.owners import SharedFileEntry
from coord_engine.patterns import PatternTooComplex
from coord_protocol.timestamps import as_utc
from coord_protocol.vocab import EventType, SuggestedAction

_WILDCARDS: Final = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class BlockedAttempt:
    """One claim attempt refused (or queued) because another engineer held an overlapping scope."""

    repo: str | None
    pattern: str
    engineer: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HotspotThresholds:
    """When a hotspot's counts suggest more than watching it."""

    monitor_below: int = 5
    """Fewer blocked attempts than this in the window: `monitor`."""
    shared_min_attempters: int = 3
    """With enough attempts, this many distinct engineers or more: `shared_file`, else `split`."""


@dataclass(frozen=True, slots=True)
class Hotspot:
    """A pattern's blocked attempts in the window and the action they suggest."""

    repo: str | None
    pattern: str
    attempts: int
    distinct_attempters: int
    last_attempt: datetime
    suggested_action: SuggestedAction


@dataclass(frozen=True, slots=True)
class PatternCount:
    """How many blocked attempts one pattern of one repo had in a window."""

    repo: str | None
    pattern: str
    attempts: int


@dataclass(frozen=True, slots=True)
class ResolutionEvent:
    """An event record, of which `auto-coexist` and `auto-narrow` are counted."""

    repo: str | None
    event_type: EventType
    at: datetime


@dataclass(frozen=True, slots=True)
class AutoResolutionDay:
    """One repo's automatic resolutions on one UTC calendar day."""

    repo: str | None
    date: dt.date
    auto_coexist: int
    auto_narrow: int


def suggest_action(
    attempts: int, distinct_attempters: int, thresholds: HotspotThresholds = HotspotThresholds()
) -> SuggestedAction:
    """`monitor` below the attempt threshold; then `shared_file` when many people collide on
    the pattern (a file everyone must touch), else `split` (few people, many collisions: the
    file holds too much for them to work on it side by side)."""
    if attempts < thresholds.monitor_below:
        return SuggestedAction.MONITOR
    if distinct_attempters >= thresholds.shared_min_attempters:
        return SuggestedAction.SHARED_FILE
    return SuggestedAction.SPLIT


def rank_hotspots(
    attempts: Iterable[BlockedAttempt],
    *,
    now: datetime,
    days: int,
    thresholds: HotspotThresholds = HotspotThresholds(),
) -> tuple[Hotspot, ...]:
    """Each (repo, pattern) blocked in the last `days`, most attempts first.

    Ties go to more distinct attempters, then the later last attempt, then pattern and repo.
    """
    grouped: defaultdict[tuple[str | None, str], list[BlockedAttempt]] = defaultdict(list)
    for attempt in _within(attempts, now, days):
        grouped[attempt.repo, attempt.pattern].append(attempt)
    hotspots = [
        _hotspot(repo, pattern, group, thresholds) for (repo, pattern), group in grouped.items()
    ]
    return tuple(sorted(hotspots, key=_rank_key))


def _hotspot(
    repo: str | None, pattern: str, group: list[BlockedAttempt], thresholds: HotspotThresholds
) -> Hotspot:
    distinct = len({attempt.engineer for attempt in group})
    return Hotspot(
        repo=repo,
        pattern=pattern,
        attempts=len(group),
        distinct_attempters=distinct,
        last_attempt=max(as_utc(attempt.at) for attempt in group),
        suggested_action=suggest_action(len(group), distinct, thresholds),
    )


def _rank_key(hotspot: Hotspot) -> tuple[int, int, float, str, str]:
    return (
        -hotspot.attempts,
        -hotspot.distinct_attempters,
        -hotspot.last_attempt.timestamp(),
        hotspot.pattern,
        hotspot.repo or "",
    )


def auto_promote_due(
    attempts: Iterable[BlockedAttempt], *, threshold: int, window_days: int, now: datetime
) -> tuple[PatternCount, ...]:
    """The single-path patterns whose blocked attempts in the window reached `threshold`.

    `threshold <= 0` disables auto-promotion. Glob patterns are never auto-promoted: a hot
    `src/**` must not turn a whole tree cooperative without an operator deciding so.
    """
    if threshold <= 0:
        return ()
    counts = Counter(
        (attempt.repo, attempt.pattern)
        for attempt in _within(attempts, now, window_days)
        if not _WILDCARDS.intersection(attempt.pattern)
    )
    due = [
        PatternCount(repo, pattern, n) for (repo, pattern), n in counts.items() if n >= threshold
    ]
    return tuple(sorted(due, key=lambda c: (-c.attempts, c.pattern, c.repo or "")))


def demote_due(
    entries: Iterable[SharedFileEntry],
    attempts: Iterable[BlockedAttempt],
    *,
    threshold: int,
    promote_window_days: int,
    demote_window_days: int,
    now: datetime,
) -> tuple[SharedFileEntry, ...]:
    """The demotable entries whose rolling count stayed below `threshold` for the demote window.

    `attempts` are one repo's records. An entry is due when it was auto-promoted at least
    `demote_window_days` ago (UTC dates) and, at every moment of the last `demote_window_days`,
    the attempts on patterns inside it (`covers`) within the preceding `promote_window_days` (the
    count auto-promote compares with the threshold) were fewer than `threshold`. Entries pinned
    `coord-managed=permanent` or without the auto marker are never due; `threshold <= 0`
    disables auto-demotion.
    """
    if threshold <= 0:
        return ()
    now = as_utc(now)
    quiet_since = now - timedelta(days=demote_window_days)
    promote_window = timedelta(days=promote_window_days)
    times = _times_by_pattern(attempts, since=quiet_since - promote_window, now=now)
    return tuple(
        entry
        for entry in entries
        if entry.demotable
        and _promoted_before(entry, quiet_since.date())
        and _peak_count(_times_inside(entry, times), promote_window, quiet_since, now) < threshold
    )


def _promoted_before(entry: SharedFileEntry, cutoff: dt.date) -> bool:
    return entry.auto_promoted is not None and entry.auto_promoted <= cutoff


def _times_by_pattern(
    attempts: Iterable[BlockedAttempt], *, since: datetime, now: datetime
) -> dict[str, list[datetime]]:
    times: defaultdict[str, list[datetime]] = defaultdict(list)
    for attempt in attempts:
        at = min(as_utc(attempt.at), now)
        if at > since:
            times[attempt.pattern].append(at)
    return times


def _times_inside(entry: SharedFileEntry, times: dict[str, list[datetime]]) -> list[datetime]:
    """The sorted attempt times on patterns the entry covers (its file, or files in its tree)."""
    return sorted(
        at for pattern, ats in times.items() if _inside(entry.pattern, pattern) for at in ats
    )


def _peak_count(
    times: Sequence[datetime], width: timedelta, first_end: datetime, last_end: datetime
) -> int:
    """Most of the sorted `times` inside one window `(end - width, end]`, `end` in the range.

    A window's count only rises when its end reaches a time, so the ends worth trying are the
    range's start and every time inside the range.
    """
    ends = [first_end, *(t for t in times if first_end <= t <= last_end)]
    return max(bisect_right(times, end) - bisect_right(times, end - width) for end in ends)


def auto_resolution_series(
    events: Iterable[ResolutionEvent], *, now: datetime, days: int
) -> tuple[AutoResolutionDay, ...]:
    """Daily auto-coexist / auto-narrow counts for the `days` UTC days ending today.

    Every repo with at least one such event in that span gets one row per day, zero days
    included, so a heatmap can draw the series as it comes; rows are ordered by repo, then day.
    """
    today = as_utc(now).date()
    first_day = today - timedelta(days=days - 1)
    counts: Counter[tuple[str | None, dt.date, EventType]] = Counter()
    for event in events:
        day = as_utc(event.at).date()
        if event.event_type in _RESOLUTIONS and first_day <= day <= today:
            counts[event.repo, day, event.event_type] += 1
    repos = sorted({repo for repo, _, _ in counts}, key=lambda repo: repo or "")
    return tuple(
        _resolution_day(counts, repo, first_day + timedelta(days=offset))
        for repo in repos
        for offset in range(days)
    )


_RESOLUTIONS: Final = frozenset({EventType.AUTO_COEXIST, EventType.AUTO_NARROW})


def _resolution_day(
    counts: Counter[tuple[str | None, dt.date, EventType]], repo: str | None, day: dt.date
) -> AutoResolutionDay:
    return AutoResolutionDay(
        repo=repo,
        date=day,
        auto_coexist=counts[repo, day, EventType.AUTO_COEXIST],
        auto_narrow=counts[repo, day, EventType.AUTO_NARROW],
    )


def _within(attempts: Iterable[BlockedAttempt], now: datetime, days: int) -> list[BlockedAttempt]:
    since = as_utc(now) - timedelta(days=days)
    return [attempt for attempt in attempts if as_utc(attempt.at) > since]


def _inside(entry: str, pattern: str) -> bool:
    """`covers`; an attempt whose inclusion is over the work budget is not counted (advisory)."""
    try:
        return covers(entry, pattern)
    except PatternTooComplex:
        return False
