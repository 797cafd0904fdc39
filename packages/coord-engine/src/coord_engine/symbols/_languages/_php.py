"""PHP: classes, interfaces, traits, enums, functions and methods; namespaces are not in paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

_CONSTRUCTOR = "__construct"


def _method(node: Node, in_type: bool) -> Found:
    name = field_text(node, "name")
    return Found((name,), "constructor" if name == _CONSTRUCTOR else "method")


PHP = LanguageRules(
    declarations={
        "class_declaration": declaration("class", body="body"),
        "interface_declaration": declaration("interface", body="body"),
        "trait_declaration": declaration("trait", body="body"),
        "enum_declaration": declaration("enum", body="body"),
        "function_definition": function(),
        "method_declaration": _method,
    },
    transparent=frozenset({"namespace_definition", "compound_statement", "ERROR"}),
)
