"""Hotspot ranking, suggested actions, auto-promote / auto-demote due lists, resolution series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine.hotspots import (
    AutoResolutionDay,
    BlockedAttempt,
    Hotspot,
    HotspotThresholds,
    PatternCount,
    ResolutionEvent,
    auto_promote_due,
    auto_resolution_series,
    demote_due,
    rank_hotspots,
    suggest_action,
)
from coord_engine.owners import SharedFileEntry
from coord_protocol.vocab import EventType, SuggestedAction

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
REPO = "acme/web"
MONITOR = SuggestedAction.MONITOR


def attempt(
    pattern: str, engineer: str = "alex", *, hours_ago: float = 1, repo: str | None = REPO
) -> BlockedAttempt:
    return BlockedAttempt(repo, pattern, engineer, NOW - timedelta(hours=hours_ago))


def attempts_by(pattern: str, engineers: str, *, hours_ago: float = 1) -> list[BlockedAttempt]:
    """One attempt on `pattern` per letter of `engineers`, each letter naming an engineer."""
    return [attempt(pattern, name, hours_ago=hours_ago) for name in engineers]


# suggest_action


@pytest.mark.parametrize(
    ("attempts", "distinct", "action"),
    [
        (0, 0, SuggestedAction.MONITOR),
        (4, 4, SuggestedAction.MONITOR),
        (5, 3, SuggestedAction.SHARED_FILE),
        (40, 9, SuggestedAction.SHARED_FILE),
        (5, 2, SuggestedAction.SPLIT),
        (30, 1, SuggestedAction.SPLIT),
    ],
)
def test_the_suggested_action_follows_the_documented_thresholds(
    attempts: int, distinct: int, action: SuggestedAction
) -> None:
    assert suggest_action(attempts, distinct) is action


def test_thresholds_can_be_tuned() -> None:
    strict = HotspotThresholds(monitor_below=2, shared_min_attempters=5)
    assert suggest_action(2, 4, strict) is SuggestedAction.SPLIT
    assert suggest_action(2, 5, strict) is SuggestedAction.SHARED_FILE
    assert suggest_action(1, 5, strict) is SuggestedAction.MONITOR


# rank_hotspots


def test_hotspots_are_counted_per_repo_and_pattern_and_ranked() -> None:
    records = [
        *attempts_by("src/router.ts", "abcab", hours_ago=5),
        attempt("src/router.ts", "a", hours_ago=2),
        *attempts_by("src/shell.ts", "aaaa"),
        *attempts_by("src/auth.ts", "ab"),
        attempt("src/router.ts", "z", repo="acme/api"),
    ]
    assert rank_hotspots(records, now=NOW, days=30) == (
        Hotspot(REPO, "src/router.ts", 6, 3, NOW - timedelta(hours=2), SuggestedAction.SHARED_FILE),
        Hotspot(REPO, "src/shell.ts", 4, 1, NOW - timedelta(hours=1), MONITOR),
        Hotspot(REPO, "src/auth.ts", 2, 2, NOW - timedelta(hours=1), MONITOR),
        Hotspot(
            "acme/api", "src/router.ts", 1, 1, NOW - timedelta(hours=1), SuggestedAction.MONITOR
        ),
    )


def test_ties_go_to_more_people_then_the_later_attempt_then_the_pattern() -> None:
    records = [
        *attempts_by("b.ts", "aa", hours_ago=3),
        *attempts_by("c.ts", "ab", hours_ago=3),
        *attempts_by("d.ts", "aa", hours_ago=1),
        *attempts_by("a.ts", "aa", hours_ago=3),
    ]
    ranked = [h.pattern for h in rank_hotspots(records, now=NOW, days=1)]
    assert ranked == ["c.ts", "d.ts", "a.ts", "b.ts"]


def test_only_attempts_inside_the_window_count() -> None:
    records = [
        attempt("a.ts", hours_ago=24 * 7 - 1),
        attempt("a.ts", hours_ago=24 * 7),
        attempt("a.ts", hours_ago=24 * 30),
        attempt("b.ts", hours_ago=24 * 8),
    ]
    assert [(h.pattern, h.attempts) for h in rank_hotspots(records, now=NOW, days=7)] == [
        ("a.ts", 1)
    ]
    assert rank_hotspots([], now=NOW, days=7) == ()


def test_naive_times_are_read_as_utc() -> None:
    naive = BlockedAttempt(REPO, "a.ts", "alex", datetime(2026, 12, 1, 11))
    (hotspot,) = rank_hotspots([naive], now=NOW, days=1)
    assert hotspot.last_attempt == datetime(2026, 12, 1, 11, tzinfo=UTC)


def test_the_counts_decide_the_action_of_each_hotspot() -> None:
    records = attempts_by("split.ts", "ababab") + attempts_by("shared.ts", "abcde")
    actions = {h.pattern: h.suggested_action for h in rank_hotspots(records, now=NOW, days=1)}
    assert actions == {"split.ts": SuggestedAction.SPLIT, "shared.ts": SuggestedAction.SHARED_FILE}


# auto_promote_due


def test_a_pattern_is_due_for_promotion_when_its_window_count_reaches_the_threshold() -> None:
    records = [
        *attempts_by("src/hot.ts", "abc", hours_ago=24 * 6),
        *attempts_by("src/warm.ts", "ab"),
        attempt("src/warm.ts", hours_ago=24 * 8),
        attempt("src/hot.ts", repo="acme/api"),
    ]
    assert auto_promote_due(records, threshold=3, window_days=7, now=NOW) == (
        PatternCount(REPO, "src/hot.ts", 3),
    )
    assert auto_promote_due(records, threshold=2, window_days=7, now=NOW) == (
        PatternCount(REPO, "src/hot.ts", 3),
        PatternCount(REPO, "src/warm.ts", 2),
    )


def test_a_zero_threshold_disables_auto_promotion() -> None:
    assert (
        auto_promote_due(attempts_by("a.ts", "abcdef"), threshold=0, window_days=7, now=NOW) == ()
    )


def test_globs_are_never_auto_promoted() -> None:
    records = attempts_by("src/**", "abcd") + attempts_by("*.ts", "abcd")
    assert auto_promote_due(records, threshold=1, window_days=7, now=NOW) == ()


def test_an_attempt_stamped_after_now_still_counts() -> None:
    late = BlockedAttempt(REPO, "a.ts", "alex", NOW + timedelta(milliseconds=3))
    assert auto_promote_due([late], threshold=1, window_days=7, now=NOW) == (
        PatternCount(REPO, "a.ts", 1),
    )


# demote_due


def entry(
    pattern: str, promoted_days_ago: int | None, *, permanent: bool = False
) -> SharedFileEntry:
    promoted = None if promoted_days_ago is None else NOW.date() - timedelta(promoted_days_ago)
    return SharedFileEntry(pattern, promoted, permanent)


def due(entries: list[SharedFileEntry], records: list[BlockedAttempt]) -> list[str]:
    found = demote_due(
        entries, records, threshold=3, promote_window_days=7, demote_window_days=14, now=NOW
    )
    return [e.pattern for e in found]


def test_quiet_old_auto_promoted_entries_are_due_and_others_are_not() -> None:
    entries = [
        entry("quiet.ts", 20),
        entry("young.ts", 13),
        entry("pinned.ts", 60, permanent=True),
        entry("by-hand.ts", None),
        entry("busy.ts", 20),
    ]
    records = attempts_by("busy.ts", "abc", hours_ago=24 * 3)
    assert due(entries, records) == ["quiet.ts"]


def test_exactly_one_window_old_counts_as_old_enough() -> None:
    assert due([entry("a.ts", 14)], []) == ["a.ts"]


def test_a_busy_week_inside_the_demote_window_keeps_the_entry() -> None:
    records = attempts_by("a.ts", "abc", hours_ago=24 * 12)
    assert due([entry("a.ts", 30)], records) == []


def test_attempts_spread_thinner_than_the_threshold_per_week_allow_demotion() -> None:
    # Four attempts in two weeks, but never three within any seven days.
    days_ago = [13.5, 13, 5.9, 5.5]
    records = [attempt("a.ts", hours_ago=24 * d) for d in days_ago]
    assert due([entry("a.ts", 30)], records) == ["a.ts"]


def test_a_busy_week_that_ended_before_the_demote_window_still_counts_into_it() -> None:
    # Three attempts 15-16 days ago: the rolling count was 3 when the demote window opened.
    records = [attempt("a.ts", hours_ago=24 * d) for d in (16, 15.5, 15)]
    assert due([entry("a.ts", 30)], records) == []
    earlier = [attempt("a.ts", hours_ago=24 * d) for d in (22, 21.5, 21.2)]
    assert due([entry("a.ts", 30)], earlier) == ["a.ts"]


def test_a_subtree_entry_counts_the_attempts_inside_it() -> None:
    records = [attempt("tests/a.py"), attempt("tests/b.py", "b"), attempt("tests/sub/c.py", "c")]
    assert due([entry("tests/**", 30)], records) == []
    assert due([entry("tests/**", 30)], records[:2]) == ["tests/**"]
    assert due([entry("docs/**", 30)], records) == ["docs/**"]


def test_a_zero_threshold_disables_auto_demotion() -> None:
    found = demote_due(
        [entry("a.ts", 90)], [], threshold=0, promote_window_days=7, demote_window_days=14, now=NOW
    )
    assert found == ()


@settings(max_examples=60, deadline=None)
@given(hours_ago=st.lists(st.integers(min_value=0, max_value=24 * 25), max_size=8))
def test_demotion_matches_a_brute_force_of_every_rolling_window(hours_ago: list[int]) -> None:
    records = [attempt("a.ts", hours_ago=h) for h in hours_ago]
    # With attempts on whole hours, the rolling 7-day count only changes at whole hours, so
    # checking every hour of the 14-day demote window is exhaustive.
    peak = max(sum(1 for h in hours_ago if end <= h < end + 24 * 7) for end in range(24 * 14 + 1))
    assert (due([entry("a.ts", 30)], records) == ["a.ts"]) is (peak < 3)


# auto_resolution_series


def test_the_series_has_one_row_per_repo_and_day_including_quiet_days() -> None:
    def event(kind: EventType, days_ago: int, repo: str | None = REPO) -> ResolutionEvent:
        return ResolutionEvent(repo, kind, NOW - timedelta(days=days_ago))

    events = [
        event(EventType.AUTO_COEXIST, 0),
        event(EventType.AUTO_COEXIST, 0),
        event(EventType.AUTO_NARROW, 2),
        event(EventType.CLAIM_GRANTED, 1),
        event(EventType.AUTO_NARROW, 3),
        event(EventType.AUTO_NARROW, 1, repo=None),
    ]
    series = auto_resolution_series(events, now=NOW, days=3)
    day = NOW.date()
    assert series == (
        AutoResolutionDay(None, day - timedelta(2), 0, 0),
        AutoResolutionDay(None, day - timedelta(1), 0, 1),
        AutoResolutionDay(None, day, 0, 0),
        AutoResolutionDay(REPO, day - timedelta(2), 0, 1),
        AutoResolutionDay(REPO, day - timedelta(1), 0, 0),
        AutoResolutionDay(REPO, day, 2, 0),
    )


def test_a_repo_without_resolutions_in_the_window_has_no_rows() -> None:
    old = ResolutionEvent(REPO, EventType.AUTO_NARROW, NOW - timedelta(days=40))
    assert auto_resolution_series([old], now=NOW, days=30) == ()


def test_days_are_utc_calendar_days() -> None:
    late = ResolutionEvent(REPO, EventType.AUTO_COEXIST, datetime(2026, 11, 30, 23, 59))
    (row,) = [r for r in auto_resolution_series([late], now=NOW, days=2) if r.auto_coexist]
    assert row.date == date(2026, 11, 30)
