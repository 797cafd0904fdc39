"""Rust: items, modules, traits with their items, and `impl` blocks under the type they implement.

`impl Display for Point` and `impl Point` both hold `Point::...` members; each impl block is
an occurrence of `Point` (kind `impl`), so an edit inside it maps to `Point`. Outer attributes
(`#[derive(...)]`, `#[test]`) belong to the item's span.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import text
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

_UNWRAP_FIELD = {"generic_type": "type", "reference_type": "type", "pointer_type": "type"}


def _impl(node: Node, in_type: bool) -> Found:
    implemented = _type_name(node.child_by_field_name("type"))
    return Found((implemented,), "impl", node.child_by_field_name("body"))


def _type_name(type_node: Node | None) -> str:
    while type_node is not None and type_node.type in _UNWRAP_FIELD:
        type_node = type_node.child_by_field_name(_UNWRAP_FIELD[type_node.type])
    if type_node is not None and type_node.type == "scoped_type_identifier":
        type_node = type_node.child_by_field_name("name")
    # Tuples, slices and other unnamed types keep their spelling, without spaces.
    return "".join(text(type_node).split())


RUST = LanguageRules(
    declarations={
        "function_item": function(),
        "function_signature_item": function(),
        "struct_item": declaration("struct"),
        "enum_item": declaration("enum"),
        "union_item": declaration("union"),
        "type_item": declaration("type"),
        "trait_item": declaration("trait", body="body"),
        "impl_item": _impl,
        "mod_item": declaration("module", body="body"),
        "macro_definition": declaration("macro"),
    },
    transparent=frozenset({"foreign_mod_item", "declaration_list", "ERROR"}),
    leading=frozenset({"attribute_item"}),
    neutral=frozenset({"line_comment", "block_comment"}),
)
