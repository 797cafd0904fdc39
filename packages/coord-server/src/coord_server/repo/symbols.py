"""Symbol claims checked against the checkout: unknown symbols are refused (SPEC §5).

Only items whose pattern names one file are checked; a glob's symbols cover whatever files it
matches, so there is no single file to hold them to. A file is read and parsed once per version:
its table is kept under the file's stat stamp (device, inode, mtime in ns, size), so a claim on
an unchanged file costs one `stat` on the event loop and no read, hash or parse. Reading and
parsing a new version runs in a worker thread: a large file takes milliseconds to parse and
must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.symbols import SymbolCache, SymbolTable, symbol_hint, validate_symbols
from coord_protocol.errors import CoordError, ErrorCode

WILDCARDS = frozenset("*?[")

Stamp = tuple[int, int, int, int]
"""What tells one version of a file from another without reading it: dev, ino, mtime_ns, size."""


class _NotAFileError(Exception):
    """The claimed path is not a regular file inside the checkout."""


class SymbolValidator:
    """Parses claimed files of the checkout (cached by stat stamp, then by content) and checks
    requested symbols."""

    def __init__(self, root: Path, cache_size: int = 256) -> None:
        self.root = root.resolve()
        self._cache = SymbolCache(maxsize=cache_size)
        self._stamped: OrderedDict[str, tuple[Stamp, SymbolTable | None]] = OrderedDict()
        self._stamped_size = cache_size
        self._lock = threading.Lock()
        self.reads = 0
        """Files read from disk (each new version of a file once)."""

    async def check(self, request: ClaimRequest) -> list[str]:
        """Warnings for symbols that could not be checked; 400 for symbols that do not exist."""
        items = [item for item in request.items if item.symbols and _names_one_file(item)]
        if not items:
            return []
        if all(self._known(_relative(item)) for item in items):
            return self._check_items(items)  # every table at hand: nothing to wait for
        return await asyncio.to_thread(self._check_items, items)

    def _known(self, relative: str) -> bool:
        stamped = self._stamped.get(relative)
        return stamped is not None and stamped[0] == _stamp(self.root / relative)

    def _check_items(self, items: Sequence[ClaimItem]) -> list[str]:
        warnings = []
        for item in items:
            warning = self._check_item(item)
            if warning:
                warnings.append(warning)
        return warnings

    def _check_item(self, item: ClaimItem) -> str | None:
        relative = _relative(item)
        try:
            table = self._table(relative)
        except _NotAFileError:
            return f"{relative} is not a file of the checkout; its symbols were not checked."
        if table is None:
            return f"{relative}: no symbol parser for this language; any symbol name is accepted."
        unknown = validate_symbols(table, item.symbols or ())
        if unknown:
            existing = symbol_hint(table, unknown)
            raise CoordError(
                ErrorCode.INVALID_SYMBOL,
                f"{relative} declares no {', '.join(unknown)}. Symbols it does declare "
                f"(closest first): {', '.join(existing[:10])}"
                + (" ..." if len(existing) > 10 else "")
                + ". Claim one of those, or claim the whole file.",
                file=relative,
                unknown=unknown,
                symbols=existing,
            )
        return None

    def _table(self, relative: str) -> SymbolTable | None:
        """The symbol table of the file's current version, read and parsed only when new."""
        stamp = _stamp(self.root / relative)
        with self._lock:
            stamped = self._stamped.get(relative)
            if stamped is not None and stamped[0] == stamp:
                self._stamped.move_to_end(relative)
                return stamped[1]
        path = (self.root / relative).resolve()
        if stamp is None or not path.is_relative_to(self.root) or not path.is_file():
            raise _NotAFileError(relative)
        # Stamped before reading: a write during the read leaves a stale stamp, never a stale
        # table under a fresh one, so the next claim reads the file again.
        source = path.read_bytes()
        table = self._cache.extract(relative, source)
        with self._lock:
            self.reads += 1
            self._stamped[relative] = (stamp, table)
            self._stamped.move_to_end(relative)
            while len(self._stamped) > self._stamped_size:
                self._stamped.popitem(last=False)
        return table


def _stamp(path: Path) -> Stamp | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):  # missing, unreadable, or a name the OS refuses
        return None
    return (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)


def _relative(item: ClaimItem) -> str:
    return item.pattern.lstrip("/")


def _names_one_file(item: ClaimItem) -> bool:
    return not WILDCARDS.intersection(item.pattern) and not item.pattern.endswith("/**")
