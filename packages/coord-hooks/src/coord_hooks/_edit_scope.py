"""Which code symbols an edit touches, so that another engineer's symbol claim on the same file
need not block an edit of a different symbol.

The answer comes from coord-engine's tree-sitter symbol tables when that package (with its
`symbols` extra) is importable; coord-hooks does not depend on it. Without it, or for a file it
cannot parse, or for an edit whose location is not inside one declaration, the answer is None
and the edit guard asks the agent to claim the symbol explicitly instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

LineRange = tuple[int, int]
"""First and last line of an edited region, 1-based and inclusive."""

SymbolLookup = Callable[[str, bytes, Sequence[LineRange]], list[str] | None]
"""Maps (path, source, line ranges) to the symbols enclosing each range, or None."""


def edited_ranges(source: str, tool_name: str, tool_input: Mapping[str, Any]) -> list[LineRange]:
    """Line ranges of `source` an Edit or MultiEdit replaces; empty when they cannot be found.

    A Write replaces the whole file and has no ranges. A MultiEdit's later edits may target text
    an earlier one wrote; such an edit is not in `source`, and then nothing is returned.
    """
    if tool_name == "Edit":
        edits: list[Any] = [tool_input]
    elif tool_name == "MultiEdit":
        edits = list(tool_input.get("edits") or [])
    else:
        return []
    ranges: list[LineRange] = []
    for edit in edits:
        found = _ranges_of(source, edit) if isinstance(edit, Mapping) else []
        if not found:
            return []
        ranges += found
    return ranges


def _ranges_of(source: str, edit: Mapping[str, Any]) -> list[LineRange]:
    old = edit.get("old_string")
    if not isinstance(old, str) or not old:
        return []
    starts = _occurrences(source, old) if edit.get("replace_all") else [source.find(old)]
    last_line_offset = old.rstrip("\n").count("\n")
    ranges = []
    for start in starts:
        if start < 0:
            return []
        first = source.count("\n", 0, start) + 1
        ranges.append((first, first + last_line_offset))
    return ranges


def _occurrences(source: str, text: str) -> list[int]:
    found = []
    start = source.find(text)
    while start >= 0:
        found.append(start)
        start = source.find(text, start + len(text))
    return found or [-1]


def edited_symbols(
    checkout: Path,
    path: str,
    tool_name: str,
    tool_input: Mapping[str, Any],
    lookup: SymbolLookup | None = None,
) -> list[str] | None:
    """The symbols enclosing every region the edit changes, or None when they cannot be named."""
    symbol_lookup = lookup or engine_lookup()
    if symbol_lookup is None:
        return None
    try:
        source = (checkout / path).read_bytes()
    except OSError:
        return None
    text = source.decode("utf-8", errors="replace")
    ranges = edited_ranges(text, tool_name, tool_input)
    return symbol_lookup(path, source, ranges) if ranges else None


def engine_lookup() -> SymbolLookup | None:
    """coord-engine's symbol lookup, or None when coord-engine is not installed."""
    try:
        from coord_engine.symbols import (  # noqa: PLC0415 - an optional dependency
            enclosing_symbol,
            extract_symbols,
        )
    except ImportError:
        return None

    def lookup(path: str, source: bytes, ranges: Sequence[LineRange]) -> list[str] | None:
        table = extract_symbols(path, source)
        if table is None:
            return None
        names = [enclosing_symbol(table, first, last) for first, last in ranges]
        if any(name is None for name in names):
            return None
        return sorted({name for name in names if name is not None})

    return lookup
