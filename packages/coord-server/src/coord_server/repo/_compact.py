"""Compact storage for a large listing: sorted paths in one string, spans in integer arrays.

A checkout of 100,000 files listed as a tuple of strings, a path -> position dict and one tuple
per span costs about 30 MiB of Python objects, and more while it is built. One joined string
with an array of offsets holds the same paths in about a tenth of that. A path's position is
found through a sorted array of the paths' hashes, searched in C, rather than a dict.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

SEPARATOR = "\0"
"""Between two paths of the joined string: git never lists a path holding it."""


class SortedPaths(Sequence[str]):
    """Sorted, distinct paths as one string; item `i` is sliced out when asked for."""

    __slots__ = ("_by_hash", "_hashes", "_joined", "_starts")

    def __init__(self, ordered: Sequence[str]) -> None:
        """`ordered` must be sorted and distinct, and no path may hold `SEPARATOR`."""
        self._joined = SEPARATOR.join(ordered) + SEPARATOR
        starts = array("q", [0])
        position = 0
        for path in ordered:
            position += len(path) + 1
            starts.append(position)
        self._starts = starts
        keyed = sorted((hash(path), position) for position, path in enumerate(ordered))
        self._hashes = array("q", (key for key, _ in keyed))
        self._by_hash = array("q", (position for _, position in keyed))

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._joined[self._starts[index] : self._starts[index + 1] - 1]

    def position(self, path: str) -> int | None:
        """The index of `path`, or None when it is not one of the paths."""
        key = hash(path)
        found = bisect.bisect_left(self._hashes, key)
        while found < len(self._hashes) and self._hashes[found] == key:
            position = self._by_hash[found]
            if self[position] == path:
                return position
            found += 1  # another path with the same hash
        return None


class SpanList(Sequence[tuple[int, int]]):
    """Sorted, disjoint half-open spans in two integer arrays (for names that recur a lot)."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self._starts = array("q")
        self._ends = array("q")
        for start, end in spans:
            self._starts.append(start)
            self._ends.append(end)

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[int, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int] | Sequence[tuple[int, int]]:
        if isinstance(index, slice):
            return list(zip(self._starts[index], self._ends[index], strict=True))
        return (self._starts[index], self._ends[index])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self._starts, self._ends, strict=True)
