"""Symbolic sets of Unicode code points.

Pattern automata label their edges with character sets. `[!a]` or `?` stand for more than a
million code points, so a set is kept as sorted half-open intervals and combined by interval
arithmetic; the alphabet is never enumerated.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

CODE_POINT_END = 0x110000
"""One past the largest Unicode code point."""

_PREFERRED_PICKS = tuple((ord(first), ord(last) + 1) for first, last in ("az", "09", "__", "AZ"))
# Witness paths are read by people, so plain letters and digits come first.


@dataclass(frozen=True, slots=True, eq=False)
class CharSet:
    """A set of code points as flattened half-open intervals `(lo0, hi0, lo1, hi1, ...)`.

    Intervals are sorted, disjoint and never adjacent, so equal sets have equal bounds.
    """

    bounds: tuple[int, ...]

    # Hand-written because sets are cache keys on the hot path of every overlap search.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharSet) and self.bounds == other.bounds

    def __hash__(self) -> int:
        return hash(self.bounds)

    @staticmethod
    def of_char(char: str) -> CharSet:
        """The set holding exactly `char`."""
        code = ord(char)
        return CharSet((code, code + 1))

    @staticmethod
    def of_ranges(ranges: Iterable[tuple[str, str]]) -> CharSet:
        """The union of inclusive ranges `(first, last)`; a reversed range adds nothing."""
        return _from_spans((ord(first), ord(last) + 1) for first, last in ranges)

    def __bool__(self) -> bool:
        return bool(self.bounds)

    def __contains__(self, char: str) -> bool:
        # An odd insertion point means the code point lies inside an interval.
        return bisect_right(self.bounds, ord(char)) % 2 == 1

    def __and__(self, other: CharSet) -> CharSet:
        return intersect(self, other)

    def __or__(self, other: CharSet) -> CharSet:
        return _from_spans((*_spans(self.bounds), *_spans(other.bounds)))

    def __sub__(self, other: CharSet) -> CharSet:
        return difference(self, other)

    def complement(self) -> CharSet:
        """Every code point not in this set."""
        edges = (0, *self.bounds, CODE_POINT_END)
        return CharSet(tuple(bound for lo, hi in _spans(edges) if lo < hi for bound in (lo, hi)))

    def pick(self) -> str:
        """A readable member: a letter or digit when there is one, else the smallest member."""
        bounds = self.bounds
        for lo, hi in _PREFERRED_PICKS:
            position = bisect_right(bounds, lo)
            if position % 2 == 1:
                return chr(lo)
            if position < len(bounds) and bounds[position] < hi:
                return chr(bounds[position])
        return chr(bounds[0])

    def intervals(self) -> list[tuple[int, int]]:
        """The inclusive `(first, last)` code point ranges of this set."""
        return [(lo, hi - 1) for lo, hi in _spans(self.bounds)]


def _spans(bounds: tuple[int, ...]) -> list[tuple[int, int]]:
    return list(zip(bounds[::2], bounds[1::2], strict=True))


def _from_spans(spans: Iterable[tuple[int, int]]) -> CharSet:
    """The union of half-open spans, sorted and merged into canonical bounds."""
    bounds: list[int] = []
    for lo, hi in sorted(spans):
        if lo >= hi:
            continue
        if bounds and lo <= bounds[-1]:
            bounds[-1] = max(bounds[-1], hi)
        else:
            bounds.extend((lo, hi))
    return CharSet(tuple(bounds))


@lru_cache(maxsize=16384)
def intersect(left: CharSet, right: CharSet) -> CharSet:
    """The code points in both sets (cached: automata reuse a handful of labels)."""
    a, b = left.bounds, right.bounds
    bounds: list[int] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i], b[j]), min(a[i + 1], b[j + 1])
        if lo < hi:
            _append_interval(bounds, lo, hi)
        if a[i + 1] < b[j + 1]:
            i += 2
        else:
            j += 2
    return CharSet(tuple(bounds))


@lru_cache(maxsize=16384)
def difference(left: CharSet, right: CharSet) -> CharSet:
    """The code points in `left` but not in `right` (cached like `intersect`)."""
    return intersect(left, right.complement())


def _append_interval(bounds: list[int], lo: int, hi: int) -> None:
    """Add `[lo, hi)` after the existing intervals, merging when they touch."""
    if bounds and bounds[-1] == lo:
        bounds[-1] = hi
    else:
        bounds.extend((lo, hi))


EMPTY = CharSet(())
"""No code point."""

ANY = CharSet((0, CODE_POINT_END))
"""Every code point."""

SLASH = CharSet.of_char("/")
"""The path separator."""

NOT_SLASH = SLASH.complement()
"""What `?` and `*` may consume: anything inside one path segment."""

DOT = CharSet.of_char(".")
"""The character that makes `.` and `..` segments."""

CONTROL = CharSet((0x00, 0x20, 0x7F, 0xA0))
"""Unicode category Cc: C0 controls, DEL and C1 controls."""
