"""Small readers over tree-sitter nodes shared by the language rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node


def text(node: Node | None) -> str:
    """The source text of `node`, empty for None; invalid UTF-8 is replaced, never raised."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def field_text(node: Node, field_name: str) -> str:
    """The text of the child in `field_name`, empty when absent."""
    return text(node.child_by_field_name(field_name))


def named_child(node: Node, *types: str) -> Node | None:
    """The first named child of one of `types`, or None."""
    for child in node.named_children:
        if child.type in types:
            return child
    return None


def has_token(node: Node, token: str) -> bool:
    """Whether a direct child of `node` is the keyword or punctuation `token`."""
    return any(child.type == token for child in node.children)


def unquote(literal: str) -> str:
    """A string literal's content: `"foo"` -> `foo`."""
    return literal.strip().strip("\"'`")
