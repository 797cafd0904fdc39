"""Kotlin: classes, interfaces, enum classes, objects (companions too), functions, constructors.

A companion object without a name is `Companion`, as Kotlin calls it; secondary constructors
are `constructor`. Extension functions (`fun String.shout()`) are named without their receiver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text, has_token, named_child, text
from coord_engine.symbols._rules import function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

    from coord_engine.symbols._model import SymbolKind

_BODIES = ("class_body", "enum_class_body")
_DEFAULT_COMPANION = "Companion"


def _class(node: Node, in_type: bool) -> Found:
    kind: SymbolKind
    if has_token(node, "interface"):
        kind = "interface"
    elif "enum" in text(named_child(node, "modifiers")).split():
        kind = "enum"
    else:
        kind = "class"
    return Found((field_text(node, "name"),), kind, named_child(node, *_BODIES))


def _object(node: Node, in_type: bool) -> Found:
    name = field_text(node, "name") or _DEFAULT_COMPANION
    return Found((name,), "object", named_child(node, *_BODIES))


def _constructor(node: Node, in_type: bool) -> Found:
    return Found(("constructor",), "constructor")


def _type_alias(node: Node, in_type: bool) -> Found:
    # The grammar files the alias's own name under the field `type`.
    return Found((field_text(node, "type"),), "type")


KOTLIN = LanguageRules(
    declarations={
        "class_declaration": _class,
        "object_declaration": _object,
        "companion_object": _object,
        "function_declaration": function(),
        "secondary_constructor": _constructor,
        "type_alias": _type_alias,
    },
    transparent=frozenset({"ERROR"}),
    neutral=frozenset({"line_comment", "block_comment"}),
)
