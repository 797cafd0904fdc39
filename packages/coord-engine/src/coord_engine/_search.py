"""Breadth-first searches over pattern automata, each returning a shortest word it looks for.

Breadth-first order is what makes every witness and counterexample shortest; each step spells
one readable character of its edge's set (`CharSet.pick`). No search samples, guesses or stops
at a depth: when it returns None, every reachable state has been explored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from functools import lru_cache
from typing import TypeVar

from coord_engine._automaton import Automaton, path_automaton
from coord_engine._charset import ANY, CharSet, intersect

_State = TypeVar("_State", bound=Hashable)
_Subset = frozenset[int]


def shortest_word(automaton: Automaton, starts: _Subset) -> str | None:
    """A shortest word that leads from one of `starts` to acceptance."""
    ordered = sorted(starts)
    parents: dict[int, tuple[int, CharSet] | None] = dict.fromkeys(ordered)
    frontier = deque(ordered)
    while frontier:
        state = frontier.popleft()
        if automaton.accepting[state]:
            return _spell(parents, state)
        for label, target in automaton.edges[state]:
            if target not in parents:
                parents[target] = (state, label)
                frontier.append(target)
    return None


def common_word(left: Automaton, right: Automaton) -> str | None:
    """A shortest word both automata accept: a search of their product."""
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


def escaping_word(outer: str, inner: Automaton, subset: _Subset) -> str | None:
    """A shortest word `inner` accepts and no run of `outer`'s automaton from `subset` does.

    `inner` is paired with `outer` determinised on the fly: a search state is one state of
    `inner` and the set of states `outer` could be in. Only the sets that some prefix actually
    reaches are built, so the cost follows the patterns' interplay rather than the worst case
    of the subset construction.
    """
    big = path_automaton(outer)
    start: tuple[int, _Subset] = (0, subset)
    parents: dict[tuple[int, _Subset], tuple[tuple[int, _Subset], CharSet] | None]
    parents = {start: None}
    frontier = deque([start])
    while frontier:
        state = frontier.popleft()
        inner_state, subset = state
        if inner.accepting[inner_state] and not any(big.accepting[q] for q in subset):
            return _spell(parents, state)
        for inner_label, inner_target in inner.edges[inner_state]:
            for region, big_targets in _moves(outer, subset):
                target = (inner_target, big_targets)
                if target not in parents and (label := intersect(inner_label, region)):
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
