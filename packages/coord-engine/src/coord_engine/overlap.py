"""Exact overlap and inclusion of patterns (SPEC §3), decided from the patterns alone.

Two patterns overlap when some repo path matches both; `covers(outer, inner)` asks whether
every path `inner` matches is matched by `outer`. Both answers are exact and come with a
shortest path (the witness, or the counterexample), through the cheapest exact route:

* two wildcard-free patterns (`src/a.ts`, `src/auth/**`, `package.json`): compared segment by
  segment (`_shapes`), no automaton at all;
* a path or directory against a glob: the glob's automaton reads the path and the search goes
  on from where it stands, so the path itself is never compiled (compiling costs about a
  hundred times more than reading);
* two globs: a breadth-first search of the product of their automata (`_search`).

Every search is bounded (`budget`): past `OVERLAP_STEPS` or `COVERS_STEPS` steps it raises
`PatternTooComplex` naming the pair; an answer over budget is cached like any other, so asking
again costs nothing. Passing a `Work` charges it the steps actually taken (a cached answer costs
none) and, when it has a limit, stops at the request's total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coord_engine._automaton import REPO_PATHS, Automaton, automaton_for
from coord_engine._cache import ByteBoundedCache
from coord_engine._search import common_word, escaping_word, shortest_word
from coord_engine._shapes import Named, Subtree, shape_of, shape_witness
from coord_engine.budget import COVERS_STEPS, OVERLAP_STEPS, Meter, Work
from coord_engine.patterns import PatternTooComplex


def overlap_witness(a: str, b: str, work: Work | None = None) -> str | None:
    """A shortest repo path matched by both patterns, or None when they are disjoint.

    Invalid patterns raise `PatternError`; a search past `budget.OVERLAP_STEPS` raises
    `PatternTooComplex`. `work`, when given, is charged the steps (`work.overlap`).
    """

    def search(key: tuple[str, str]) -> str | _Refused | None:
        meter = Meter(*_overlap_subject(a, b), OVERLAP_STEPS, work, "overlap")
        return _refusing(lambda: _find_witness(a, b, meter, work), meter)

    return _unless_refused(_witnesses.get((a, b), search))


def overlaps(a: str, b: str, work: Work | None = None) -> bool:
    """True when some repo path matches both patterns (symmetric)."""
    return overlap_witness(a, b, work) is not None


def covers(outer: str, inner: str, work: Work | None = None) -> bool:
    """True when every repo path matched by `inner` is also matched by `outer`.

    A search past `budget.COVERS_STEPS` raises `PatternTooComplex`.
    """
    return counterexample(outer, inner, work) is None


def _overlap_subject(a: str, b: str) -> tuple[str, str]:
    """The pattern an over-budget overlap is blamed on (a glob), and what grew."""
    glob, other = (b, a) if shape_of(b) is None else (a, b)
    shown = other if len(other) <= 60 else other[:60] + "..."
    return glob, f"overlap search with {shown!r} (steps)"


@dataclass(frozen=True, slots=True)
class _Refused:
    """A cached over-budget outcome: asking again costs nothing and raises again."""

    pattern: str
    what: str
    limit: int


def _refusing(search: Callable[[], str | None], meter: Meter) -> str | _Refused | None:
    """The search's answer, or its refusal as a value to cache; the meter is charged."""
    try:
        return search()
    except PatternTooComplex as error:
        if error.request_bound:
            raise  # the request ran out, not this pair: a smaller request may get the answer
        return _Refused(error.pattern, error.what, error.limit)
    finally:
        meter.close()


def _unless_refused(found: str | _Refused | None) -> str | None:
    if isinstance(found, _Refused):
        raise PatternTooComplex(found.pattern, found.what, found.limit)
    return found


def _answer_bytes(found: str | _Refused | None) -> int:
    return 200 + (len(found) if isinstance(found, str) else 200)


def _no_default(key: tuple[str, str]) -> str | _Refused | None:
    raise AssertionError("answers are always looked up with their search")


_witnesses: ByteBoundedCache[tuple[str, str], str | _Refused | None] = ByteBoundedCache(
    _no_default, _answer_bytes, max_bytes=16 * 1024 * 1024, max_entries=16384
)


def _find_witness(a: str, b: str, meter: Meter, work: Work | None) -> str | None:
    shape_a, shape_b = shape_of(a), shape_of(b)
    if shape_a is not None and shape_b is not None:
        return shape_witness(shape_a, shape_b)
    for shape, other in ((shape_a, b), (shape_b, a)):
        if isinstance(shape, Subtree):
            return _subtree_witness(shape, automaton_for(other, work), meter)
        if isinstance(shape, Named):
            automaton = automaton_for(other, work)
            if any(automaton.accepting[q] for q in automaton.run(shape.name, meter=meter)):
                # A name is the shortest path that has it as a segment.
                return shape.name
    return common_word(automaton_for(a, work), automaton_for(b, work), meter)


def _subtree_witness(subtree: Subtree, other: Automaton, meter: Meter) -> str | None:
    """A shortest path of `subtree` that `other` accepts, found without compiling the subtree.

    `root` is the subtree's shortest path, so it is the answer when it counts and `other`
    accepts it. `other` accepts only repo paths, so a word it accepts that starts with `root/`
    is `root/x` for a repo path `x`, which the subtree holds; apart from `root`, those are all
    the subtree's paths. `root/x` is shortest when `x` is: the search from the states that
    reading `root/` leaves. (`**` is the subtree of the empty root: any word of `other`.)
    """
    root = subtree.path
    if not root:
        return shortest_word(other, frozenset({0}), meter)
    states = other.run(root, meter=meter)
    if subtree.includes_root and any(other.accepting[q] for q in states):
        return root
    suffix = shortest_word(other, other.run("/", states, meter), meter)
    return None if suffix is None else f"{root}/{suffix}"


def counterexample(outer: str, inner: str, work: Work | None = None) -> str | None:
    """A shortest repo path matched by `inner` but not by `outer`, or None when `outer` covers
    `inner`. A search past `budget.COVERS_STEPS` raises `PatternTooComplex` (for `inner`)."""

    def search(key: tuple[str, str]) -> str | _Refused | None:
        shown = outer if len(outer) <= 60 else outer[:60] + "..."
        what = f"inclusion search in {shown!r} (steps)"
        meter = Meter(inner, what, COVERS_STEPS, work, "covers")
        return _refusing(lambda: _find_counterexample(outer, inner, meter, work), meter)

    return _unless_refused(_counterexamples.get((outer, inner), search))


_counterexamples: ByteBoundedCache[tuple[str, str], str | _Refused | None] = ByteBoundedCache(
    _no_default, _answer_bytes, max_bytes=8 * 1024 * 1024, max_entries=4096
)


def _find_counterexample(outer: str, inner: str, meter: Meter, work: Work | None) -> str | None:
    if outer == inner:
        return None  # every pattern covers itself: no search (whose cost grows with the globs)
    shape = shape_of(inner)
    big = automaton_for(outer, work)
    if isinstance(shape, Subtree):
        return _subtree_counterexample(outer, big, shape, meter)
    return escaping_word(outer, big, automaton_for(inner, work), frozenset({0}), meter)


def _subtree_counterexample(
    outer: str, big: Automaton, subtree: Subtree, meter: Meter
) -> str | None:
    """`counterexample` for a path or directory `inner`, without compiling it.

    `root` is the subtree's shortest path, so it is the answer when it counts and escapes
    `outer`. Every other path is `root/x` for a repo path `x` (a word of `REPO_PATHS`), and it
    escapes exactly when `x` leads none of the states that reading `root/` leaves in `outer` to
    acceptance: the inclusion search from there finds a shortest such `x`.
    """
    root = subtree.path
    if not root:
        return escaping_word(outer, big, REPO_PATHS, frozenset({0}), meter)
    states = big.run(root, meter=meter)
    if subtree.includes_root and not any(big.accepting[q] for q in states):
        return root
    suffix = escaping_word(outer, big, REPO_PATHS, big.run("/", states, meter), meter)
    return None if suffix is None else f"{root}/{suffix}"
