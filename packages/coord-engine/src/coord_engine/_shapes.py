"""Wildcard-free patterns, whose overlap is decided by comparing segments instead of automata.

Most claims have one of three shapes, and on repo paths (see `_paths.is_repo_path`) each
matches a set that is easy to state exactly (docs/patterns.md gives the rules):

* `Subtree(root, includes_root=True)`: an anchored pattern without wildcards (`src/a.ts`,
  `/package.json`). Its regex is `root(/.*)?`, so it matches the paths whose segments start with
  `root`: `root` itself and everything below it.
* `Subtree(root, includes_root=False)`: literal segments and a trailing `**` (`src/auth/**`,
  regex `root/.*`), the paths strictly below `root`; a lone `**` is the case `root == ()`, every
  repo path.
* `Named(name)`: a single literal segment, bare or after `**/` (`package.json`,
  `**/package.json`). Its regex is `(.+/)?name(/.*)?`; on a repo path, `(.+/)?` can only end at
  a segment boundary and `name` must be followed by `/` or the end, so it matches the paths that
  have `name` as one whole segment.

`root` and `name` are themselves repo paths (`shape_of` checks it), so the shortest members of
each set are known: `root`; `root/a` (one more one-character segment; `a` is what the automaton
search would also pick); `name`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from coord_engine._compiled import glob_of
from coord_engine._glob import Glob
from coord_engine._paths import is_repo_path

_SHORTEST_SEGMENT = "a"
"""A one-character segment: the shortest way to go one level below a directory."""


@dataclass(frozen=True, slots=True)
class Subtree:
    """The paths whose segments start with `root`: `root` itself only when `includes_root`."""

    root: tuple[str, ...]
    includes_root: bool

    @property
    def path(self) -> str:
        """`root` as a path (empty for the repository root)."""
        return "/".join(self.root)

    def shortest(self) -> str:
        """The shortest path in the set."""
        return self.path if self.includes_root else _join(self.root, _SHORTEST_SEGMENT)


@dataclass(frozen=True, slots=True)
class Named:
    """The paths that have `name` as one of their segments."""

    name: str

    def shortest(self) -> str:
        """The shortest path in the set."""
        return self.name


Shape = Subtree | Named


# Sized for a whole claim table: a request checks many claims, and a cache smaller than the
# table would be swept clean by a few requests and parse every claim again.
@lru_cache(maxsize=65536)
def shape_of(pattern: str) -> Shape | None:
    """The shape of a wildcard-free `pattern`, or None for any pattern with a wildcard."""
    shape = _shape(glob_of(pattern))
    # Canonical literal segments are always valid names; the check keeps the proofs above honest.
    return shape if shape is not None and all(map(is_repo_path, _segments(shape))) else None


def _segments(shape: Shape) -> tuple[str, ...]:
    return shape.root if isinstance(shape, Subtree) else (shape.name,)


def _shape(glob: Glob) -> Shape | None:
    segments = glob.segments
    first_globstar = segments[0].is_globstar
    rest = segments[1:] if first_globstar else segments
    if not all(segment.is_literal for segment in rest[:-1]):
        return None
    if first_globstar:
        # Unanchored `name` is parsed as `**/name`; a lone `**` covers everything.
        if len(segments) == 1:
            return Subtree((), includes_root=False)
        return Named(rest[0].text) if len(rest) == 1 and rest[0].is_literal else None
    texts = tuple(segment.text for segment in segments)
    if segments[-1].is_literal:
        return Subtree(texts, includes_root=True)
    return Subtree(texts[:-1], includes_root=False) if segments[-1].is_globstar else None


def shape_witness(first: Shape, second: Shape) -> str | None:
    """A shortest path in both shapes' sets, or None when they are disjoint."""
    if isinstance(first, Subtree):
        if isinstance(second, Subtree):
            return _subtrees_witness(first, second)
        return _subtree_and_name_witness(first, second)
    if isinstance(second, Subtree):
        return _subtree_and_name_witness(second, first)
    # Distinct names need two segments; either order is as short, and this one is what the
    # automaton search returns.
    return first.name if first == second else f"{second.name}/{first.name}"


def _subtrees_witness(first: Subtree, second: Subtree) -> str | None:
    # Every path of each set starts with its root, so a common path needs one root to extend
    # the other. Then the deeper set lies inside the shallower one (its paths are longer than
    # the shallower root), and for equal roots the root itself counts only if both include it.
    shallow, deep = sorted((first, second), key=lambda shape: len(shape.root))
    if deep.root[: len(shallow.root)] != shallow.root:
        return None
    if len(deep.root) > len(shallow.root):
        return deep.shortest()
    return Subtree(deep.root, first.includes_root and second.includes_root).shortest()


def _subtree_and_name_witness(subtree: Subtree, named: Named) -> str:
    # With `name` among the root's segments every path of the subtree has it. Otherwise it must
    # be a segment past the root, and `root/name` is as short as that can be.
    if named.name in subtree.root:
        return subtree.shortest()
    return _join(subtree.root, named.name)


def _join(root: tuple[str, ...], segment: str) -> str:
    return "/".join((*root, segment))
