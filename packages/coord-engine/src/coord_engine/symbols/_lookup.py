"""Questions asked of a symbol table: which symbol holds these lines, which names are unknown."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from coord_engine.symbol_paths import SEPARATOR

if TYPE_CHECKING:
    from coord_engine.symbols._model import Symbol, SymbolTable

HINT_LIMIT = 50
"""How many existing paths a refusal lists (SPEC §5)."""

_NAME_ONLY_WEIGHT = 0.9


def enclosing_symbol(table: SymbolTable, start_line: int, end_line: int) -> str | None:
    """The path of the innermost declaration containing lines `start_line..end_line`.

    Lines are 1-based and inclusive, in either order. None when the range is not inside any one
    declaration (imports, module-level statements, or an edit spanning two functions): such an
    edit needs a file claim.
    """
    low, high = sorted((start_line, end_line))
    holders = [symbol for symbol in table.symbols if symbol.contains(low, high)]
    if not holders:
        return None
    return min(holders, key=_innermost_first).path


def _innermost_first(symbol: Symbol) -> tuple[int, int, int]:
    # Smallest span first; on a tie (a one-line class and its one-line method) the deeper path.
    return (symbol.end_line - symbol.start_line, -symbol.path.count(SEPARATOR), -symbol.start_line)


def validate_symbols(table: SymbolTable, requested: Sequence[str]) -> list[str]:
    """The requested symbol paths the file does not declare, each once, in request order.

    A path is known when the file declares it or declares something under it (`Server` when
    only `Server::Start` is in this file).
    """
    unknown = (path for path in requested if path not in table)
    return list(dict.fromkeys(unknown))


def symbol_hint(
    table: SymbolTable, unknown: Sequence[str] | str, limit: int = HINT_LIMIT
) -> list[str]:
    """Up to `limit` existing symbol paths of the file, the closest to the `unknown` ones first.

    Closeness compares whole paths and last segments, so `handleAuth` finds
    `Router::handleAuth` and `Router::handleAuht` finds it too. Ties keep source order.
    """
    wanted = [unknown] if isinstance(unknown, str) else list(unknown)
    if not wanted:
        return list(table.paths[:limit])
    ranked = sorted(table.paths, key=lambda path: -_closeness(path, wanted))
    return ranked[:limit]


def _closeness(path: str, wanted: Sequence[str]) -> float:
    return max(_similarity(path, name) for name in wanted)


def _similarity(path: str, name: str) -> float:
    whole = difflib.SequenceMatcher(None, path.lower(), name.lower()).ratio()
    last = path.rpartition(SEPARATOR)[2].lower()
    wanted_last = name.rpartition(SEPARATOR)[2].lower()
    tail = difflib.SequenceMatcher(None, last, wanted_last).ratio()
    # The name alone is a strong clue (a forgotten parent) but weaker than the whole path.
    return max(whole, tail * _NAME_ONLY_WEIGHT)
