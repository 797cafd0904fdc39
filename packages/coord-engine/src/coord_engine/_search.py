"""Breadth-first searches over pattern automata, each returning a shortest word it looks for.

Breadth-first order is what makes every witness and counterexample shortest; each step spells
one readable character of its edge's set (`CharSet.pick`). No search samples, guesses or stops
at a depth: when it returns None, every reachable state has been explored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import TypeVar

from coord_engine._automaton import Automaton
from coord_engine._cache import ByteBoundedCache
from coord_engine._charset import ANY, CharSet, intersect
from coord_engine.budget import Meter

_State = TypeVar("_State", bound=Hashable)
_Subset = frozenset[int]


def shortest_word(automaton: Automaton, starts: _Subset, meter: Meter) -> str | None:
    """A shortest word that leads from one of `starts` to acceptance (one step per edge)."""
    ordered = sorted(starts)
    parents: dict[int, tuple[int, CharSet] | None] = dict.fromkeys(ordered)
    frontier = deque(ordered)
    while frontier:
        state = frontier.popleft()
        if automaton.accepting[state]:
            return _spell(parents, state)
        meter.spend(1 + len(automaton.edges[state]))
        for label, target in automaton.edges[state]:
            if target not in parents:
                parents[target] = (state, label)
                frontier.append(target)
    return None


def common_word(left: Automaton, right: Automaton, meter: Meter) -> str | None:
    """A shortest word both automata accept: a search of their product.

    `meter` is charged one step per pair taken from the frontier and one per edge pair tried,
    which is what the search costs."""
    start = (0, 0)
    parents: dict[tuple[int, int], tuple[tuple[int, int], CharSet] | None] = {start: None}
    frontier = deque([start])
    while frontier:
        pair = frontier.popleft()
        left_state, right_state = pair
        if left.accepting[left_state] and right.accepting[right_state]:
            return _spell(parents, pair)
        meter.spend(1 + len(left.edges[left_state]) * len(right.edges[right_state]))
        for left_label, left_target in left.edges[left_state]:
            for right_label, right_target in right.edges[right_state]:
                target = (left_target, right_target)
                if target not in parents and (label := intersect(left_label, right_label)):
                    parents[target] = (pair, label)
                    frontier.append(target)
    return None


def escaping_word(
    outer: str, big: Automaton, inner: Automaton, subset: _Subset, meter: Meter
) -> str | None:
    """A shortest word `inner` accepts and no run of `big` (`outer`'s automaton) from `subset`
    does.

    `inner` is paired with `outer` determinised on the fly: a search state is one state of
    `inner` and the set of states `outer` could be in. Only the sets that some prefix actually
    reaches are built, so the cost follows the patterns' interplay rather than the worst case
    of the subset construction; `meter` bounds it all the same, charged one step per search
    state and per (edge, region) pair tried, plus the work of splitting the alphabet for each
    set (charged whether or not that split was cached, so the count does not depend on what
    ran before).
    """
    start: tuple[int, _Subset] = (0, subset)
    parents: dict[tuple[int, _Subset], tuple[tuple[int, _Subset], CharSet] | None]
    parents = {start: None}
    frontier = deque([start])
    while frontier:
        state = frontier.popleft()
        inner_state, subset = state
        if inner.accepting[inner_state] and not any(big.accepting[q] for q in subset):
            return _spell(parents, state)
        split_cost, moves = _moves.get((outer, subset), lambda key: _compute_moves(big, key[1]))
        meter.spend(1 + split_cost + len(inner.edges[inner_state]) * len(moves))
        for inner_label, inner_target in inner.edges[inner_state]:
            for region, big_targets in moves:
                target = (inner_target, big_targets)
                if target not in parents and (label := intersect(inner_label, region)):
                    parents[target] = (state, label)
                    frontier.append(target)
    return None


_Moves = tuple[tuple[CharSet, _Subset], ...]


def _compute_moves(big: Automaton, subset: _Subset) -> tuple[int, _Moves]:
    """Where the states `subset` of `big` go on each character: the alphabet split into
    regions, each with the set of successor states it leads to (empty where all runs die).

    Returned with the number of region splits it took, which the search is charged for."""
    regions: list[tuple[CharSet, _Subset]] = [(ANY, frozenset())]
    cost = 0
    for state in subset:
        for edge_label, target in big.edges[state]:
            cost += len(regions)
            regions = [part for region in regions for part in _refine(region, edge_label, target)]
    merged: dict[_Subset, CharSet] = {}
    for chars, targets in regions:
        merged[targets] = merged[targets] | chars if targets in merged else chars
    return cost, tuple((chars, targets) for targets, chars in merged.items())


def _moves_bytes(found: tuple[int, _Moves]) -> int:
    return 200 + sum(150 + 30 * len(targets) + 8 * len(chars.bounds) for chars, targets in found[1])


def _no_default(key: tuple[str, _Subset]) -> tuple[int, _Moves]:
    raise AssertionError("moves are always looked up with their automaton")


# Keyed by the outer pattern (its automaton is a function of it, and a string hashes once).
_moves: ByteBoundedCache[tuple[str, _Subset], tuple[int, _Moves]] = ByteBoundedCache(
    _no_default, _moves_bytes, max_bytes=32 * 1024 * 1024, max_entries=65536
)


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
