"""Work budgets: intake limits, and the counted steps of compile, overlap, covers and matching.

Every assertion is on a counter or on the error raised, never on time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine import (
    ActiveClaim,
    ClaimItem,
    ClaimRequest,
    PatternTooComplex,
    Policy,
    Work,
    decide,
)
from coord_engine._automaton import Automaton, _compiled, compile_pattern
from coord_engine._cache import ByteBoundedCache
from coord_engine._search import _moves
from coord_engine.budget import COMPILE_STATES, COVERS_STEPS, MATCH_STEPS, OVERLAP_STEPS
from coord_engine.matching import _tests, matches
from coord_engine.overlap import (
    _counterexamples,
    _witnesses,
    counterexample,
    covers,
    overlap_witness,
)
from coord_engine.patterns import (
    MAX_GLOB_CHARS,
    MAX_PATTERN_WILDCARDS,
    MAX_SEGMENT_WILDCARDS,
    PatternError,
    normalize_pattern,
)
from coord_protocol.vocab import ClaimType, Severity


@pytest.fixture(autouse=True)
def cold_caches() -> None:
    """Every test counts from cold: the caches that would answer for free are emptied."""
    for cache in (_compiled, _witnesses, _counterexamples, _moves, _tests):
        cache.cache_clear()


_ONE_CHARGE = 10_000
"""More than any single step of a search is charged: how far past its budget one may run."""

# -- intake ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "what", "limit"),
    [
        ("x/" + "*?" * 200 + "a", "400 wildcards in one segment", MAX_SEGMENT_WILDCARDS),
        ("*?" * 8 + "Q", "16 wildcards in one segment", MAX_SEGMENT_WILDCARDS),
        ("x/*a" + "?" * 14, "15 wildcards in one segment", MAX_SEGMENT_WILDCARDS),
        ("/".join(["*?*?"] * 5), "20 wildcards", MAX_PATTERN_WILDCARDS),
        ("/".join(["**/a"] * 17), "17 wildcards", MAX_PATTERN_WILDCARDS),
        ("x/" + "a" * MAX_GLOB_CHARS + "*", f"a glob of {MAX_GLOB_CHARS + 3} characters", 256),
        ("[ab]" * 9, "9 wildcards in one segment", MAX_SEGMENT_WILDCARDS),
    ],
)
def test_intake_refuses_patterns_over_a_wildcard_limit(pattern: str, what: str, limit: int) -> None:
    with pytest.raises(PatternTooComplex) as caught:
        normalize_pattern(pattern)
    error = caught.value
    assert isinstance(error, PatternError)
    assert (error.pattern, error.rule, error.what, error.limit) == (
        pattern,
        "too_complex",
        what,
        limit,
    )
    assert f"the limit of {limit}" in error.message and repr(pattern[:100])[:-1] in error.message


@pytest.mark.parametrize(
    "pattern",
    [
        "x/" + "*?" * 4,  # the most wildcards a segment may hold
        "/".join(["*?*?*?*?"] * 2),  # the most a pattern may hold
        "x/" + "a" * (MAX_GLOB_CHARS - 3) + "*",  # the longest glob
        "a" * 60 + "/" + "b" * 900 + ".ts",  # a wildcard-free pattern may be long
        "src/**/*.test.[jt]s",
        "**/node_modules/**",
    ],
)
def test_intake_admits_patterns_at_the_limits(pattern: str) -> None:
    assert normalize_pattern(pattern)


# The costliest shapes the intake rules admit, each a family that grows the work fastest.
COSTLY_GLOBS = [
    "x/" + "a" * (MAX_GLOB_CHARS - 8) + "*?*?",
    "/".join(["*?*?*?*?"] * 2) + "/" + "a" * 200,
    "[!a]" * 8 + "/" + "[!a]" * 8,
    "**/" + "/".join(["*a"] * 15),
    "x/*" + "a" * (MAX_GLOB_CHARS - 4),
    "**/*" + "a" * (MAX_GLOB_CHARS - 5),
]


@pytest.mark.parametrize("pattern", COSTLY_GLOBS)
def test_the_costliest_admitted_globs_compile_within_budget(pattern: str) -> None:
    work = Work()
    compile_pattern(normalize_pattern(pattern), work)
    assert 0 < work.compile <= COMPILE_STATES


def test_a_wildcard_free_pattern_of_any_admitted_length_is_built_without_a_product() -> None:
    work = Work()
    automaton = compile_pattern("a" * 60 + "/" + "b" * 900, work)
    assert work.compile == 0
    assert automaton.accepts("a" * 60 + "/" + "b" * 900 + "/c")


# -- overlap -----------------------------------------------------------------------------


def test_an_overlap_over_budget_raises_naming_the_glob_and_the_other_pattern() -> None:
    glob = "x/*" + "a" * 200
    work = Work()
    with pytest.raises(PatternTooComplex) as caught:
        overlap_witness(glob, glob + "b", work)
    assert caught.value.limit == OVERLAP_STEPS
    assert "overlap search with" in caught.value.what
    assert OVERLAP_STEPS < work.overlap <= OVERLAP_STEPS + _ONE_CHARGE


def test_everyday_overlaps_stay_far_below_the_budget() -> None:
    pairs = [
        ("src/**/*.ts", "src/auth/*.ts"),
        ("packages/*/src/**/*.py", "packages/coord-*/src/coord_*/**/test_*.py"),
        ("**/*.test.[jt]s", "src/**/components/*.tsx"),
        ("lib/*_test.py", "lib/test_*.py"),
        ("*.lock", "**/package*.json"),
        ("src/a.ts", "src/*.ts"),
    ]
    for a, b in pairs:
        work = Work()
        overlap_witness(a, b, work)
        assert work.overlap <= OVERLAP_STEPS // 4, (a, b)


# -- covers ------------------------------------------------------------------------------


def test_the_exponential_inclusion_is_refused_at_intake() -> None:
    with pytest.raises(PatternTooComplex):
        covers("x/*a" + "?" * 14, "x/*aa" + "?" * 13)


def test_an_inclusion_over_budget_raises_and_stops_at_the_budget() -> None:
    work = Work()
    with pytest.raises(PatternTooComplex) as caught:
        counterexample("*a" + "?" * 7, "*a" + "?" * 6 + "a", work)
    assert caught.value.pattern == "*a" + "?" * 6 + "a"
    assert caught.value.limit == COVERS_STEPS
    assert COVERS_STEPS < work.covers <= COVERS_STEPS + _ONE_CHARGE


def test_everyday_inclusions_stay_below_the_budget() -> None:
    pairs = [
        ("src/**", "src/auth/*.ts"),
        ("src/*.ts", "src/a*.ts"),
        ("**/*.py", "packages/*/src/**/test_*.py"),
        ("src/auth/**", "src/auth/[a-m]*.ts"),
        ("x/*a???", "x/*aa??"),
    ]
    for outer, inner in pairs:
        work = Work()
        covers(outer, inner, work)
        assert work.covers <= COVERS_STEPS // 2, (outer, inner)


def test_a_repeat_is_answered_from_the_cache_and_costs_nothing() -> None:
    first, second = Work(), Work()
    covers("**/*.py", "packages/*/src/**/test_*.py", first)
    covers("**/*.py", "packages/*/src/**/test_*.py", second)
    assert first.covers > 0 and first.compile > 0
    assert second == Work()


def test_an_over_budget_answer_is_cached_too() -> None:
    glob = "z/*" + "a" * 150
    for expected_cost in (True, False):
        work = Work()
        with pytest.raises(PatternTooComplex):
            overlap_witness(glob, glob + "c", work)
        assert (work.overlap > OVERLAP_STEPS) is expected_cost


# -- one request's total -----------------------------------------------------------------


def test_a_request_stops_at_its_total_and_is_not_cached_as_the_pairs_answer() -> None:
    held = "r/*" + "a" * 40
    asked = ["r/*" + "a" * 39 + suffix for suffix in ("b", "c", "d", "e", "f", "g", "h")]
    work = Work(limit=5_000)
    with pytest.raises(PatternTooComplex) as caught:
        _ask_each(held, asked, work)
    assert caught.value.request_bound and caught.value.limit == 5_000
    assert "one request" in caught.value.what
    assert work.total <= 5_000 + _ONE_CHARGE
    # The pair that ran out of the request's total is decided in a request of its own.
    stopped = caught.value.pattern
    assert overlap_witness(held, stopped, Work(limit=50_000)) is None


def _ask_each(held: str, asked: list[str], work: Work) -> None:
    for pattern in asked:
        overlap_witness(held, pattern, work)


def test_decide_charges_one_work_for_the_whole_request() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    held = ActiveClaim(
        id="clm_1", engineer="holder/bot/main", session_id=None, repo=None,
        claim_type=ClaimType.FILE, pattern="s/*" + "a" * 40, symbols=None, narrowable=True,
        shared=False, severity=Severity.SOFT, description=None, expires_at=now.replace(year=2027),
    )  # fmt: skip
    items = tuple(ClaimItem(ClaimType.FILE, "s/*" + "a" * 39 + c) for c in "bcdefghijk")
    request = ClaimRequest("asker/bot/main", None, None, items)
    work = Work(limit=6_000)
    with pytest.raises(PatternTooComplex) as caught:
        decide(request, [held], Policy(), now, work)
    assert caught.value.request_bound


# -- matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("x/*a*a*a*a*b", "x/" + "a" * 200),
        ("*?*?*?*?", "q" * 84),
        ("**/*a" + "?" * 7, "/".join(["ab" * 60] * 30)),
        ("**/" + "*?" * 4, "a/" * 2000 + "b"),
    ],
)
def test_matching_is_linear_in_the_path(pattern: str, path: str) -> None:
    work = Work()
    matches(pattern, path, work)
    # One step per character, plus the transitions learnt on the way (bounded per pattern).
    assert work.match <= 2 * len(path) + 5_000


def test_a_path_longer_than_the_budget_is_refused() -> None:
    with pytest.raises(PatternTooComplex) as caught:
        matches("x/*a", "x/" + "a" * MATCH_STEPS)
    assert caught.value.limit == MATCH_STEPS


# -- generated patterns within the intake rules --------------------------------------------

_TOKENS = ["a", "b", "src", ".ts", "-", "*", "?", "[ab]", "[!a]", "[a-z]"]
_segments = st.one_of(
    st.just("**"), st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=6).map("".join)
)
admitted_patterns = (
    st.lists(_segments, min_size=1, max_size=5)
    .map("/".join)
    .filter(lambda raw: _admitted(raw) is not None)
    .map(lambda raw: _admitted(raw) or "")
)


def _admitted(raw: str) -> str | None:
    try:
        return normalize_pattern(raw)
    except PatternError:
        return None


@settings(max_examples=200, deadline=None)
@given(admitted_patterns, st.text(alphabet="ab/.-x", min_size=1, max_size=300))
def test_generated_patterns_compile_and_match_within_budget(pattern: str, path: str) -> None:
    work = Work()
    compile_pattern(pattern, work)
    matches(pattern, path, work)
    assert work.compile <= COMPILE_STATES
    assert work.match <= MATCH_STEPS


@settings(max_examples=200, deadline=None)
@given(admitted_patterns, admitted_patterns)
def test_generated_pairs_never_run_past_their_budget(a: str, b: str) -> None:
    work = Work()
    for check in (overlap_witness, covers):
        try:
            check(a, b, work)
        except PatternTooComplex as error:
            assert error.limit in (OVERLAP_STEPS, COVERS_STEPS)  # noqa: PT017 - either check may stop
    assert work.overlap <= OVERLAP_STEPS + _ONE_CHARGE
    assert work.covers <= COVERS_STEPS + _ONE_CHARGE


# -- caches ------------------------------------------------------------------------------


def test_a_byte_bounded_cache_drops_the_oldest_entries_past_its_bytes() -> None:
    cache: ByteBoundedCache[int, int] = ByteBoundedCache(
        lambda key: key, lambda value: value, max_bytes=100, max_entries=10
    )
    for key in (40, 30, 20, 50):
        cache(key)
    info = cache.cache_info()
    assert info.bytes == 100 and info.entries == 3  # 40 went; 30, 20 and 50 stayed
    cache(20)
    assert cache.cache_info().hits == 1
    cache(101)  # larger than the whole cache: computed, never stored
    assert cache.cache_info().entries == 3


def test_compiled_automata_are_cached_by_their_estimated_bytes() -> None:
    small, large = compile_pattern("src/*.ts"), compile_pattern("x/" + "a" * 240 + "*")
    assert large.approximate_bytes() > 10 * small.approximate_bytes()
    cache = ByteBoundedCache(
        compile_pattern, Automaton.approximate_bytes, max_bytes=1_000_000, max_entries=4096
    )
    for index in range(60):
        cache(f"x{index}/" + "a" * 240 + "*")
    info = cache.cache_info()
    assert info.bytes <= 1_000_000 and info.entries < 60
    assert _compiled.max_bytes == 64 * 1024 * 1024
