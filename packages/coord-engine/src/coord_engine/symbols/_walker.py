"""The language-neutral walk: from a syntax tree to symbols, driven by one language's rules.

Only declaration scopes are visited (the file, type bodies, namespaces, impl blocks): function
bodies are never entered, which keeps the walk proportional to the number of declarations and
matches what a symbol claim covers (SPEC §5: named declarations, not their local helpers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coord_engine.symbol_paths import SEPARATOR
from coord_engine.symbols._model import TYPE_KINDS, Symbol, SymbolKind

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
    walk = _Walk(rules)
    # An explicit stack rather than recursion: broken input can nest arbitrarily deep.
    walk.pending.append(_Scope(root, (), in_type=False, leading_row=None))
    while walk.pending:
        walk.scan(walk.pending.pop())
    walk.found.sort(key=lambda entry: entry[0])
    return [symbol for _, symbol in walk.found]


class _Walk:
    def __init__(self, rules: LanguageRules) -> None:
        self.rules = rules
        self.pending: list[_Scope] = []
        self.found: list[tuple[tuple[int, int, int], Symbol]] = []

    def scan(self, scope: _Scope) -> None:
        rules = self.rules
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
                self.pending.append(_Scope(child, scope.parent, scope.in_type, start))
            elif node_type in rules.transparent:
                self.pending.append(_Scope(child, scope.parent, scope.in_type, None))
            elif (describe := rules.declarations.get(node_type)) is not None:
                found = describe(child, scope.in_type)
                if found is not None:
                    self.declare(child, found, scope.parent, leading_row)
            leading_row = None

    def declare(
        self, node: Node, found: Found, parent: tuple[str, ...], leading_row: int | None
    ) -> None:
        segments = _clean(found.segments)
        if found.segments and not segments:
            return
        path = parent + segments
        if found.body is not None:
            in_type = found.kind in TYPE_KINDS
            self.pending.append(_Scope(found.body, path, in_type, leading_row=None))
        if segments:
            start_line = _earliest(leading_row, node.start_point.row) + 1
            end_line = _end_line(node, start_line)
            symbol = Symbol(SEPARATOR.join(path), found.kind, start_line, end_line)
            self.found.append(((start_line, -end_line, len(path)), symbol))


def _clean(segments: tuple[str, ...]) -> tuple[str, ...]:
    # Names come from possibly broken source: drop whitespace, split qualified names, and refuse
    # what no symbol path may hold (a stray `:` as in Scala's `def :+`, control characters), so
    # every extracted path is claimable as it is.
    joined = SEPARATOR.join(segments)
    if " " in joined or not joined.isprintable():
        joined = "".join(joined.split())
    parts = tuple(joined.split(SEPARATOR))
    if all(part and ":" not in part and part.isprintable() for part in parts):
        return parts
    return ()


def _earliest(row: int | None, other: int) -> int:
    return other if row is None else min(row, other)


def _end_line(node: Node, start_line: int) -> int:
    row, column = node.end_point
    if column == 0 and row > node.start_point.row:
        # A node ending at column 0 swallowed trailing newlines (Scala 3 indented bodies):
        # it ends on its last line that holds anything.
        content = (node.text or b"").rstrip()
        row = node.start_point.row + content.count(b"\n")
    return max(start_line, row + 1)
