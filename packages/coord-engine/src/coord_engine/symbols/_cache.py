"""A bounded cache of symbol tables, keyed by language and content."""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

from coord_engine.symbols._extract import parse_symbols
from coord_engine.symbols._grammars import language_for_path
from coord_engine.symbols._model import SymbolTable

DEFAULT_MAXSIZE = 256


@dataclass(frozen=True, slots=True)
class _Entry:
    source: bytes
    table: SymbolTable


class SymbolCache:
    """Extracted tables of recently seen file contents, least recently used evicted first.

    The key is (language, length, CRC-32 of the bytes) and a hit is confirmed by comparing the
    stored bytes, so a collision costs a re-parse, never a wrong table. A cryptographic digest
    would cost more than the whole lookup budget: SHA-256 of a 5,000-line file takes ~90 µs,
    CRC-32 plus the comparison ~30 µs. Safe to share between threads.
    """

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        """Keep at most `maxsize` tables (and their sources)."""
        if maxsize < 1:
            raise ValueError(f"SymbolCache maxsize must be at least 1, got {maxsize}")
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[str, int, int], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        """Lookups answered from the cache."""
        self.misses = 0
        """Lookups that parsed."""

    def __len__(self) -> int:
        """How many tables are held."""
        return len(self._entries)

    def extract(self, path: str, source: bytes) -> SymbolTable | None:
        """Like `extract_symbols`, answered from the cache when these bytes were parsed before."""
        language = language_for_path(path)
        if language is None:
            return None
        key = (language, len(source), zlib.crc32(source))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.source == source:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.table
            self.misses += 1
        table = parse_symbols(language, source)
        if table is not None:
            self._store(key, _Entry(source, table))
        return table

    def clear(self) -> None:
        """Forget every table."""
        with self._lock:
            self._entries.clear()

    def _store(self, key: tuple[str, int, int], entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
