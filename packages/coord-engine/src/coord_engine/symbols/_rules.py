"""Rule factories for the common shapes: a named declaration, with or without a body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text
from coord_engine.symbols._walker import Describe, Found

if TYPE_CHECKING:
    from tree_sitter import Node

    from coord_engine.symbols._model import SymbolKind


def declaration(kind: SymbolKind, *, body: str | None = None, name: str = "name") -> Describe:
    """A rule for a node whose `name` field names it; `body` is the field holding its members."""

    def describe(node: Node, in_type: bool) -> Found:
        members = node.child_by_field_name(body) if body is not None else None
        return Found((field_text(node, name),), kind, members)

    return describe


def function(*, name: str = "name") -> Describe:
    """A rule for a function: a `method` directly inside a type, a `function` elsewhere."""

    def describe(node: Node, in_type: bool) -> Found:
        return Found((field_text(node, name),), "method" if in_type else "function")

    return describe
