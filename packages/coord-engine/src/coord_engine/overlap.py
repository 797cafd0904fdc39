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
"""

from __future__ import annotations

from functools import lru_cache

from coord_engine._automaton import REPO_PATHS, Automaton, path_automaton
from coord_engine._search import common_word, escaping_word, shortest_word
from coord_engine._shapes import Named, Subtree, shape_of, shape_witness


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
    shape_a, shape_b = shape_of(a), shape_of(b)
    if shape_a is not None and shape_b is not None:
        return shape_witness(shape_a, shape_b)
    for shape, other in ((shape_a, b), (shape_b, a)):
        if isinstance(shape, Subtree):
            return _subtree_witness(shape, path_automaton(other))
        if isinstance(shape, Named) and path_automaton(other).accepts(shape.name):
            # A name is the shortest path that has it as a segment.
            return shape.name
    return common_word(path_automaton(a), path_automaton(b))


def _subtree_witness(subtree: Subtree, other: Automaton) -> str | None:
    """A shortest path of `subtree` that `other` accepts, found without compiling the subtree.

    `root` is the subtree's shortest path, so it is the answer when it counts and `other`
    accepts it. `other` accepts only repo paths, so a word it accepts that starts with `root/`
    is `root/x` for a repo path `x`, which the subtree holds; apart from `root`, those are all
    the subtree's paths. `root/x` is shortest when `x` is: the search from the states that
    reading `root/` leaves. (`**` is the subtree of the empty root: any word of `other`.)
    """
    root = subtree.path
    if not root:
        return shortest_word(other, frozenset({0}))
    states = other.run(root)
    if subtree.includes_root and any(other.accepting[q] for q in states):
        return root
    suffix = shortest_word(other, other.run("/", states))
    return None if suffix is None else f"{root}/{suffix}"


@lru_cache(maxsize=4096)
def counterexample(outer: str, inner: str) -> str | None:
    """A shortest repo path matched by `inner` but not by `outer`, or None when `outer` covers
    `inner`."""
    shape = shape_of(inner)
    if isinstance(shape, Subtree):
        return _subtree_counterexample(outer, shape)
    return escaping_word(outer, path_automaton(inner), frozenset({0}))


def _subtree_counterexample(outer: str, subtree: Subtree) -> str | None:
    """`counterexample` for a path or directory `inner`, without compiling it.

    `root` is the subtree's shortest path, so it is the answer when it counts and escapes
    `outer`. Every other path is `root/x` for a repo path `x` (a word of `REPO_PATHS`), and it
    escapes exactly when `x` leads none of the states that reading `root/` leaves in `outer` to
    acceptance: the inclusion search from there finds a shortest such `x`.
    """
    root = subtree.path
    if not root:
        return escaping_word(outer, REPO_PATHS, frozenset({0}))
    big = path_automaton(outer)
    states = big.run(root)
    if subtree.includes_root and not any(big.accepting[q] for q in states):
        return root
    suffix = escaping_word(outer, REPO_PATHS, big.run("/", states))
    return None if suffix is None else f"{root}/{suffix}"
