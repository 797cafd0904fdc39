"""A least-recently-used cache bounded by an estimate of the bytes it holds, not only by entries.

An automaton compiled from a long glob weighs a hundred times more than one from `src/*.ts`, so
a cache counted in entries alone can grow to hundreds of megabytes on hostile patterns.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Counters in the spirit of `functools.lru_cache`'s."""

    hits: int
    misses: int
    entries: int
    bytes: int


class ByteBoundedCache(Generic[_Key, _Value]):
    """Values of `compute` by key, the least recently used dropped first once the estimated
    bytes (`size_of`) pass `max_bytes` or the entries pass `max_entries`."""

    def __init__(
        self,
        compute: Callable[[_Key], _Value],
        size_of: Callable[[_Value], int],
        max_bytes: int,
        max_entries: int,
    ) -> None:
        self._compute = compute
        self._size_of = size_of
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._entries: OrderedDict[_Key, tuple[_Value, int]] = OrderedDict()
        self._bytes = self._hits = self._misses = 0

    def __call__(self, key: _Key) -> _Value:
        return self.get(key, self._compute)

    def get(self, key: _Key, compute: Callable[[_Key], _Value]) -> _Value:
        """The cached value of `key`, else `compute(key)`, stored."""
        found = self._entries.get(key)
        if found is not None:
            self._hits += 1
            self._entries.move_to_end(key)
            return found[0]
        self._misses += 1
        value = compute(key)
        self._store(key, value)
        return value

    def _store(self, key: _Key, value: _Value) -> None:
        size = self._size_of(value)
        if size > self.max_bytes:
            return  # never worth evicting everything else for
        self._entries[key] = (value, size)
        self._bytes += size
        while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped

    def cache_info(self) -> CacheInfo:
        """Hits, misses, entries and estimated bytes held."""
        return CacheInfo(self._hits, self._misses, len(self._entries), self._bytes)

    def cache_clear(self) -> None:
        """Forget every entry (the counters stay)."""
        self._entries.clear()
        self._bytes = 0
