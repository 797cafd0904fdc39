"""An index of active claims that answers "which claims could overlap this pattern?".

Claims are filed in a trie under the literal directory prefix of their pattern (`src/auth/*.ts`
under `src` → `auth`). Two patterns can only overlap when one literal prefix is a prefix of the
other, so the claims that could overlap a query with prefix P are those filed on the path down to
P (ancestors), those filed anywhere below P (descendants), and the few claims that have no literal
prefix at all (unanchored patterns like `*.ts`, or anchored ones starting with a wildcard), which
are kept in a side set returned with every answer. The answer is a superset of the overlapping
claims, never missing one; `decide()` then checks each candidate exactly.

A claim whose first wildcard segment starts with literal text (`wip_*.py` in `src/wip_*.py`) is
filed under that text as well: every path it matches has a segment there that starts with it, so
a query naming a different segment at that level (`src/main.py`) passes it by.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from coord_engine.patterns import literal_prefix, normalize_pattern

K = TypeVar("K", bound=Hashable)

_WILDCARDS = frozenset("*?[")


class _Node(Generic[K]):
    """One directory level of the trie: the claims filed exactly here, and the levels below.

    Claims filed here whose next segment starts with literal text are kept by that text in
    `headed`; the others (next segment starting with a wildcard, or none) in `keys`.
    """

    __slots__ = ("children", "headed", "keys")

    def __init__(self) -> None:
        self.children: dict[str, _Node[K]] = {}
        self.keys: set[K] = set()
        self.headed: dict[str, set[K]] = {}

    def file(self, key: K, head: str) -> None:
        """Keep `key` here, under `head` when its next segment starts with literal text."""
        (self.headed.setdefault(head, set()) if head else self.keys).add(key)

    def unfile(self, key: K, head: str) -> None:
        """Forget `key` filed here under `head`."""
        if not head:
            self.keys.discard(key)
            return
        keys = self.headed[head]
        keys.discard(key)
        if not keys:
            del self.headed[head]

    def add_headed_before(self, segment: str, found: set[K]) -> None:
        """Add the claims whose next segment may be `segment`: those headed by a prefix of it."""
        if self.headed:
            for end in range(1, len(segment) + 1):
                keys = self.headed.get(segment[:end])
                if keys:
                    found |= keys

    def add_all(self, found: set[K]) -> None:
        """Add every claim filed here."""
        found |= self.keys
        for keys in self.headed.values():
            found |= keys


class ClaimIndex(Generic[K]):
    """Claims of one repo bucket keyed by `K` (a claim id, or the claim value itself).

    Patterns given to `add` and `candidates` must be canonical (see `normalize_pattern`).
    """

    __slots__ = ("_heads", "_loose", "_prefixes", "_root")

    def __init__(self) -> None:
        self._root: _Node[K] = _Node()
        self._loose: set[K] = set()
        self._prefixes: dict[K, tuple[str, ...]] = {}
        self._heads: dict[K, str] = {}

    def __len__(self) -> int:
        return len(self._prefixes)

    def __contains__(self, key: object) -> bool:
        return key in self._prefixes

    def add(self, key: K, pattern: str) -> None:
        """File `key` under `pattern`; a key added again is moved to its new pattern."""
        if key in self._prefixes:
            self.remove(key)
        prefix = literal_prefix(pattern) or ()
        self._prefixes[key] = prefix
        if not prefix:
            self._loose.add(key)
            return
        node = self._root
        for segment in prefix:
            node = node.children.setdefault(segment, _Node())
        head = self._heads[key] = _head_after(pattern, len(prefix))
        node.file(key, head)

    def remove(self, key: K) -> None:
        """Forget `key`; unknown keys are ignored, so a release can be applied twice."""
        prefix = self._prefixes.pop(key, None)
        if prefix is None:
            return
        if not prefix:
            self._loose.discard(key)
            return
        path = [self._root]
        for segment in prefix:
            path.append(path[-1].children[segment])
        path[-1].unfile(key, self._heads.pop(key))
        _prune(path, prefix)

    def candidates(self, pattern: str) -> set[K]:
        """Every key whose pattern could overlap `pattern` (a superset of the exact answer)."""
        prefix = literal_prefix(pattern)
        if not prefix:
            # A query without a literal prefix can reach any directory.
            return set(self._prefixes)
        found = set(self._loose)
        node = self._root
        for segment in prefix:
            node.add_headed_before(segment, found)
            child = node.children.get(segment)
            if child is None:
                return found
            node = child
            found |= node.keys
        node.add_all(found)
        _collect_below(node, found)
        return found

    def union_candidates(self, patterns: Iterable[str]) -> set[K]:
        """Candidates of any of `patterns`: what a batch request must be checked against."""
        found: set[K] = set()
        for pattern in patterns:
            found |= self.candidates(pattern)
        return found


class RepoIndexes(Generic[K]):
    """One `ClaimIndex` per repo bucket (`None` is the no-repo bucket): buckets never interact."""

    __slots__ = ("_by_repo", "_repo_of")

    def __init__(self) -> None:
        self._by_repo: dict[str | None, ClaimIndex[K]] = {}
        self._repo_of: dict[K, str | None] = {}

    def __len__(self) -> int:
        return len(self._repo_of)

    def __contains__(self, key: object) -> bool:
        return key in self._repo_of

    def add(self, repo: str | None, key: K, pattern: str) -> None:
        """File `key` in `repo`'s bucket under `pattern` (moving it if it was filed before)."""
        self.remove(key)
        self._by_repo.setdefault(repo, ClaimIndex()).add(key, pattern)
        self._repo_of[key] = repo

    def remove(self, key: K) -> None:
        """Forget `key` in whichever bucket holds it; unknown keys are ignored."""
        if key not in self._repo_of:
            return
        repo = self._repo_of.pop(key)
        index = self._by_repo[repo]
        index.remove(key)
        if not index:
            del self._by_repo[repo]

    def candidates(self, repo: str | None, pattern: str) -> set[K]:
        """Keys in `repo`'s bucket whose pattern could overlap `pattern`."""
        index = self._by_repo.get(repo)
        return set() if index is None else index.candidates(pattern)

    def union_candidates(self, repo: str | None, patterns: Iterable[str]) -> set[K]:
        """Keys in `repo`'s bucket that could overlap any of `patterns`."""
        index = self._by_repo.get(repo)
        return set() if index is None else index.union_candidates(patterns)


def _head_after(pattern: str, depth: int) -> str:
    """The literal text that starts segment `depth` of canonical `pattern` ("" if none)."""
    segments = normalize_pattern(pattern).removeprefix("/").split("/")
    if depth >= len(segments):
        return ""
    segment = segments[depth]
    for index, char in enumerate(segment):
        if char in _WILDCARDS:
            return segment[:index]
    return segment


def _collect_below(node: _Node[K], found: set[K]) -> None:
    stack = list(node.children.values())
    while stack:
        below = stack.pop()
        below.add_all(found)
        stack.extend(below.children.values())


def _prune(path: list[_Node[K]], prefix: tuple[str, ...]) -> None:
    """Drop the empty levels left at the bottom of `path`, so the trie does not grow forever."""
    for depth in range(len(prefix), 0, -1):
        node = path[depth]
        if node.keys or node.headed or node.children:
            return
        del path[depth - 1].children[prefix[depth - 1]]
