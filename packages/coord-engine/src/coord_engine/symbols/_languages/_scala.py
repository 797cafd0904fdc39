"""Scala 2 and 3: classes, objects, traits, enums, `def`s and auxiliary constructors (`this`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text
from coord_engine.symbols._rules import declaration
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

_AUXILIARY_CONSTRUCTOR = "this"


def _def(node: Node, in_type: bool) -> Found:
    name = field_text(node, "name")
    if name == _AUXILIARY_CONSTRUCTOR:
        return Found((name,), "constructor")
    return Found((name,), "method" if in_type else "function")


SCALA = LanguageRules(
    declarations={
        "class_definition": declaration("class", body="body"),
        "object_definition": declaration("object", body="body"),
        "trait_definition": declaration("trait", body="body"),
        "enum_definition": declaration("enum", body="body"),
        "function_definition": _def,
        "function_declaration": _def,
        "type_definition": declaration("type"),
    },
    # `package a.b { ... }` blocks and Scala 3 enum bodies hold declarations like a file does.
    transparent=frozenset({"package_clause", "template_body", "ERROR"}),
    neutral=frozenset({"comment", "block_comment"}),
)
