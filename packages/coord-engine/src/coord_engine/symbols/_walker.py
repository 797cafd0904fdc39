"""The language-neutral walk: from a syntax tree to symbols, driven by one language's rules.

Only declaration scopes are visited (the file, type bodies, namespaces, impl blocks): function
bodies are never entered, which keeps a 5,000-line file to a few hundred visited nodes and
matches what a symbol claim covers (SPEC §5: named declarations, not their local helpers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coord_engine.symbols._model import SEPARATOR, TYPE_KINDS, Symbol, SymbolKind

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class Found:
    """What a language rule recognised in one node."""

    segments: tuple[str, ...]
    """Path segments relative to the enclosing scope; empty means "no symbol, walk the body"."""
    kind: SymbolKind
    body: Node | None = None
    """Where nested declarations live, or None when they are not symbols (a function body)."""


Describe = Callable[["Node", bool], "Found | None"]
"""A rule: the node and whether it sits directly in a type body; None when it declares nothing."""


@dataclass(frozen=True, slots=True)
class LanguageRules:
    """How one grammar spells its declarations."""

    declarations: Mapping[str, Describe]
    """Node type -> rule."""
    transparent: frozenset[str] = frozenset()
    """Node types walked through as if their children stood in the enclosing scope."""
    wrappers: frozenset[str] = frozenset()
    """Transparent nodes whose first declaration starts where the wrapper starts (`export`)."""
    leading: frozenset[str] = frozenset()
    """Sibling nodes that belong to the next declaration's span (decorators, attributes)."""
    neutral: frozenset[str] = frozenset({"comment"})
    """Sibling nodes that neither start nor interrupt a run of leading nodes."""


@dataclass(frozen=True, slots=True)
class _Scope:
    node: Node
    parent: tuple[str, ...]
    in_type: bool
    leading_row: int | None


def collect_symbols(root: Node, rules: LanguageRules) -> list[Symbol]:
    """Every declaration under `root`, ordered by start line with parents before children."""
    symbols: list[tuple[int, Symbol]] = []
    # An explicit stack rather than recursion: broken input can nest arbitrarily deep.
    pending = [_Scope(root, (), in_type=False, leading_row=None)]
    while pending:
        scope = pending.pop()
        for depth, symbol, nested in _scan(scope, rules):
            if symbol is not None:
                symbols.append((depth, symbol))
            if nested is not None:
                pending.append(nested)
    symbols.sort(key=lambda item: (item[1].start_line, -item[1].end_line, item[0]))
    return [symbol for _, symbol in symbols]


def _scan(
    scope: _Scope, rules: LanguageRules
) -> Iterable[tuple[int, Symbol | None, _Scope | None]]:
    leading_row = scope.leading_row
    for child in scope.node.named_children:
        node_type = child.type
        if node_type in rules.neutral:
            continue
        if node_type in rules.leading:
            leading_row = _earliest(leading_row, child.start_point.row)
            continue
        if node_type in rules.wrappers:
            start = _earliest(leading_row, child.start_point.row)
            yield 0, None, _Scope(child, scope.parent, scope.in_type, start)
        elif node_type in rules.transparent:
            yield 0, None, _Scope(child, scope.parent, scope.in_type, None)
        elif (describe := rules.declarations.get(node_type)) is not None:
            yield from _declare(child, describe(child, scope.in_type), scope, leading_row)
        leading_row = None


def _declare(
    node: Node, found: Found | None, scope: _Scope, leading_row: int | None
) -> Iterable[tuple[int, Symbol | None, _Scope | None]]:
    if found is None:
        return
    segments = _clean(found.segments)
    if found.segments and not segments:
        return
    path = scope.parent + segments
    nested = None
    if found.body is not None:
        nested = _Scope(found.body, path, found.kind in TYPE_KINDS, None)
    symbol = None
    if segments:
        start_line = _earliest(leading_row, node.start_point.row) + 1
        symbol = Symbol(SEPARATOR.join(path), found.kind, start_line, _end_line(node, start_line))
    yield len(path), symbol, nested


def _clean(segments: tuple[str, ...]) -> tuple[str, ...]:
    # Names come from possibly broken source: drop whitespace, split qualified names.
    parts = (part for segment in segments for part in segment.split(SEPARATOR))
    cleaned = tuple("".join(part.split()) for part in parts)
    return cleaned if all(cleaned) else ()


def _earliest(row: int | None, other: int) -> int:
    return other if row is None else min(row, other)


def _end_line(node: Node, start_line: int) -> int:
    # A node ending at column 0 stops before that line (a trailing newline is not a line).
    row, column = node.end_point
    return max(start_line, row + 1 if column > 0 else row)
