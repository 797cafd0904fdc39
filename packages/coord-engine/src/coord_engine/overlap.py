"""Exact overlap and inclusion of patterns (SPEC §3), decided from the patterns alone.

Two patterns overlap when some repo path matches both: a breadth-first search of the product
of their automata, which finds a shortest such path (the witness) or exhausts every reachable
pair. `covers(outer, inner)` asks whether every path `inner` matches is matched by `outer`: the
search pairs `inner` with `outer` determinised on the fly and looks for a path that `inner`
accepts and no run of `outer` does. Neither search samples, guesses or stops at a depth.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from functools import lru_cache
from typing import TypeVar

from coord_engine._automaton import Automaton, path_automaton
from coord_engine._charset import ANY, CharSet, intersect
from coord_engine._compiled import glob_of
from coord_engine._glob import Glob
from coord_engine.matching import matches

_State = TypeVar("_State", bound=Hashable)
_Subset = frozenset[int]


def overlap_witness(a: str, b: str) -> str | None:
    """A shortest repo path matched by both patterns, or None when they are disjoint.

    Invalid patterns raise `PatternError`.
    """
    return _witness(a, b)


def overlaps(a: str, b: str) -> bool:
    """True when some repo path matches both patterns (symmetric)."""
    return _witness(a, b) is not None


def covers(outer: str, inner: str) -> bool:
    """True when every repo path matched by `inner` is also matched by `outer`."""
    return counterexample(outer, inner) is None


@lru_cache(maxsize=16384)
def _witness(a: str, b: str) -> str | None:
    for literal, other in ((a, b), (b, a)):
        # A wildcard-free pattern's shortest path is the pattern itself; when the other
        # pattern matches it, it is a shortest witness and no search is needed.
        path = _literal_path(glob_of(literal))
        if path is not None and matches(other, path):
            return path
    return _product_search(path_automaton(a), path_automaton(b))


def _literal_path(glob: Glob) -> str | None:
    """The shortest path a wildcard-free pattern matches (`src/a.ts`, `package.json`)."""
    segments = glob.segments if glob.anchored else glob.segments[1:]
    if all(segment.is_literal for segment in segments):
        return "/".join(segment.text for segment in segments)
    return None


def _product_search(left: Automaton, right: Automaton) -> str | None:
    """Breadth-first search of the product of two automata for a shortest common word."""
    start = (0, 0)
    parents: dict[tuple[int, int], tuple[tuple[int, int], CharSet] | None] = {start: None}
    frontier = deque([start])
    while frontier:
        pair = frontier.popleft()
        left_state, right_state = pair
        if left.accepting[left_state] and right.accepting[right_state]:
            return _spell(parents, pair)
        for left_label, left_target in left.edges[left_state]:
            for right_label, right_target in right.edges[right_state]:
                target = (left_target, right_target)
                if target not in parents and (label := intersect(left_label, right_label)):
                    parents[target] = (pair, label)
                    frontier.append(target)
    return None


@lru_cache(maxsize=4096)
def counterexample(outer: str, inner: str) -> str | None:
    """A shortest repo path matched by `inner` but not by `outer`, or None when `outer` covers
    `inner`.

    Only the subsets of `outer`'s states that some prefix of an `inner` path actually reaches
    are built, so the cost follows the patterns' interplay rather than the worst case of the
    subset construction.
    """
    small, big = path_automaton(inner), path_automaton(outer)
    start: tuple[int, _Subset] = (0, frozenset({0}))
    parents: dict[tuple[int, _Subset], tuple[tuple[int, _Subset], CharSet] | None]
    parents = {start: None}
    frontier = deque([start])
    while frontier:
        state = frontier.popleft()
        small_state, subset = state
        if small.accepting[small_state] and not any(big.accepting[q] for q in subset):
            return _spell(parents, state)
        for small_label, small_target in small.edges[small_state]:
            for region, big_targets in _moves(outer, subset):
                target = (small_target, big_targets)
                if target not in parents and (label := intersect(small_label, region)):
                    parents[target] = (state, label)
                    frontier.append(target)
    return None


@lru_cache(maxsize=65536)
def _moves(outer: str, subset: _Subset) -> tuple[tuple[CharSet, _Subset], ...]:
    """Where the states `subset` of `outer` go on each character: the alphabet split into
    regions, each with the set of successor states it leads to (empty where all runs die)."""
    big = path_automaton(outer)
    regions: list[tuple[CharSet, _Subset]] = [(ANY, frozenset())]
    for state in subset:
        for edge_label, target in big.edges[state]:
            regions = [part for region in regions for part in _refine(region, edge_label, target)]
    merged: dict[_Subset, CharSet] = {}
    for chars, targets in regions:
        merged[targets] = merged[targets] | chars if targets in merged else chars
    return tuple((chars, targets) for targets, chars in merged.items())


def _refine(
    region: tuple[CharSet, _Subset], edge_label: CharSet, target: int
) -> list[tuple[CharSet, _Subset]]:
    chars, targets = region
    inside = chars & edge_label
    if not inside:
        return [region]
    outside = chars - edge_label
    parts = [(inside, targets | {target})]
    return [*parts, (outside, targets)] if outside else parts


def _spell(parents: dict[_State, tuple[_State, CharSet] | None], state: _State) -> str:
    """The word that led the search from its start to `state`, one readable char per step."""
    chars: list[str] = []
    step = parents[state]
    while step is not None:
        state, label = step
        chars.append(label.pick())
        step = parents[state]
    return "".join(reversed(chars))
