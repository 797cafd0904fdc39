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
`PatternTooComplex` naming the pair. Passing a `Work` counts the steps (and skips the caches).
"""

from __future__ import annotations

from functools import lru_cache

from coord_engine._automaton import REPO_PATHS, Automaton, automaton_for
from coord_engine._search import common_word, escaping_word, shortest_word
from coord_engine._shapes import Named, Subtree, shape_of, shape_witness
from coord_engine.budget import COVERS_STEPS, OVERLAP_STEPS, Meter, Work


def overlap_witness(a: str, b: str, work: Work | None = None) -> str | None:
    """A shortest repo path matched by both patterns, or None when they are disjoint.

    Invalid patterns raise `PatternError`; a search past `budget.OVERLAP_STEPS` raises
    `PatternTooComplex`. `work`, when given, is charged the steps (`work.overlap`).
    """
    if work is None:
        return _witness(a, b)
    meter = _overlap_meter(a, b)
    try:
        return _find_witness(a, b, meter, work)
    finally:
        work.overlap += meter.steps


def overlaps(a: str, b: str, work: Work | None = None) -> bool:
    """True when some repo path matches both patterns (symmetric)."""
    return overlap_witness(a, b, work) is not None


def covers(outer: str, inner: str, work: Work | None = None) -> bool:
    """True when every repo path matched by `inner` is also matched by `outer`.

    A search past `budget.COVERS_STEPS` raises `PatternTooComplex`.
    """
    return counterexample(outer, inner, work) is None


def _overlap_meter(a: str, b: str) -> Meter:
    return Meter(b if shape_of(b) is None else a, f"overlap search with {_named(a, b)}",
                 OVERLAP_STEPS)  # fmt: skip


def _named(a: str, b: str) -> str:
    """The other pattern of a pair, shortened, for a message about `b`'s (or `a`'s) cost."""
    other = a if shape_of(b) is None else b
    return repr(other if len(other) <= 60 else other[:60] + "...") + " (steps)"


@lru_cache(maxsize=16384)
def _witness(a: str, b: str) -> str | None:
    return _find_witness(a, b, _overlap_meter(a, b), None)


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
    if work is None:
        return _counterexample(outer, inner)
    meter = _covers_meter(outer, inner)
    try:
        return _find_counterexample(outer, inner, meter, work)
    finally:
        work.covers += meter.steps


def _covers_meter(outer: str, inner: str) -> Meter:
    shown = outer if len(outer) <= 60 else outer[:60] + "..."
    return Meter(inner, f"inclusion search in {shown!r} (steps)", COVERS_STEPS)


@lru_cache(maxsize=4096)
def _counterexample(outer: str, inner: str) -> str | None:
    return _find_counterexample(outer, inner, _covers_meter(outer, inner), None)


def _find_counterexample(outer: str, inner: str, meter: Meter, work: Work | None) -> str | None:
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
