"""Symbol claims checked against the checkout: unknown symbols are refused (SPEC §5).

Only items whose pattern names one file are checked; a glob's symbols cover whatever files it
matches, so there is no single file to hold them to. Parsing runs in a worker thread: a large
file takes milliseconds to parse and must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.symbols import SymbolCache, symbol_hint, validate_symbols
from coord_protocol.errors import CoordError, ErrorCode

WILDCARDS = frozenset("*?[")


class SymbolValidator:
    """Parses claimed files of the checkout (cached by content) and checks requested symbols."""

    def __init__(self, root: Path, cache_size: int = 256) -> None:
        self.root = root.resolve()
        self._cache = SymbolCache(maxsize=cache_size)
        self._lock = threading.Lock()

    async def check(self, request: ClaimRequest) -> list[str]:
        """Warnings for symbols that could not be checked; 400 for symbols that do not exist."""
        items = [item for item in request.items if item.symbols and _names_one_file(item)]
        if not items:
            return []
        return await asyncio.to_thread(self._check_items, items)

    def _check_items(self, items: Sequence[ClaimItem]) -> list[str]:
        warnings = []
        for item in items:
            warning = self._check_item(item)
            if warning:
                warnings.append(warning)
        return warnings

    def _check_item(self, item: ClaimItem) -> str | None:
        relative = item.pattern.lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return f"{relative} is not a file of the checkout; its symbols were not checked."
        with self._lock:
            table = self._cache.extract(relative, path.read_bytes())
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


def _names_one_file(item: ClaimItem) -> bool:
    return not WILDCARDS.intersection(item.pattern) and not item.pattern.endswith("/**")
