"""Go: functions, types, and methods under their receiver type (`Server::Start`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text, named_child, text
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

    from coord_engine.symbols._model import SymbolKind

_TYPE_KINDS: dict[str, SymbolKind] = {"struct_type": "struct", "interface_type": "interface"}


def _method(node: Node, in_type: bool) -> Found:
    name = field_text(node, "name")
    receiver = _receiver_type(node.child_by_field_name("receiver"))
    # Methods are declared at file level; the receiver is their parent, wherever its type lives.
    return Found((receiver, name) if receiver else (name,), "method")


def _receiver_type(receiver: Node | None) -> str:
    parameter = named_child(receiver, "parameter_declaration") if receiver else None
    type_node = parameter.child_by_field_name("type") if parameter else None
    while type_node is not None and type_node.type != "type_identifier":
        if type_node.type == "generic_type":
            type_node = type_node.child_by_field_name("type")
        elif type_node.type in ("pointer_type", "parenthesized_type"):
            type_node = type_node.named_children[0] if type_node.named_children else None
        else:
            return ""
    return text(type_node)


def _type_spec(node: Node, in_type: bool) -> Found:
    type_node = node.child_by_field_name("type")
    kind = _TYPE_KINDS.get(type_node.type, "type") if type_node is not None else "type"
    # An interface's method list is its body; a struct's fields are not symbols.
    body = type_node if kind == "interface" else None
    return Found((field_text(node, "name"),), kind, body)


GO = LanguageRules(
    declarations={
        "function_declaration": function(),
        "method_declaration": _method,
        "type_spec": _type_spec,
        "type_alias": declaration("type"),
        "method_elem": function(),
        "method_spec": function(),
    },
    transparent=frozenset({"type_declaration", "ERROR"}),
)
