"""TypeScript, TSX and JavaScript/JSX: one set of rules, the grammars share their node names.

Besides declarations, a module- or namespace-level `const`/`let`/`var` whose value is a function
(`export const handler = () => {}`, exported or not) is a function symbol, and so is one wrapped
in a call such as `memo(() => ...)`. A class field holding a function is a method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._model import SymbolKind
from coord_engine.symbols._nodes import field_text, text, unquote
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)
_CLASS_VALUES = frozenset({"class"})
_VALUE_WRAPPERS = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"}
)
_ANONYMOUS_DEFAULT = "default"


def _namespace(node: Node, in_type: bool) -> Found:
    name = node.child_by_field_name("name")
    segments: tuple[str, ...]
    if name is not None and name.type == "string":
        segments = (unquote(text(name)),)  # `declare module "pkg/sub"` names a module path
    else:
        segments = tuple(text(name).split("."))  # `namespace A.B {}` nests B in A
    return Found(segments, "namespace", node.child_by_field_name("body"))


def _method(node: Node, in_type: bool) -> Found:
    name = field_text(node, "name")
    return Found((name,), "constructor" if name == "constructor" else "method")


def _field(node: Node, in_type: bool) -> Found | None:
    name = node.child_by_field_name("name") or node.child_by_field_name("property")
    return _from_value(text(name), node.child_by_field_name("value"), "method")


def _variable(node: Node, in_type: bool) -> Found | None:
    name = node.child_by_field_name("name")
    if name is None or name.type != "identifier":
        return None  # destructuring declares no single name
    return _from_value(text(name), node.child_by_field_name("value"), "function")


def _from_value(name: str, value: Node | None, function_kind: SymbolKind) -> Found | None:
    value = _unwrap(value)
    if value is None:
        return None
    if value.type in _FUNCTION_VALUES:
        return Found((name,), function_kind)
    if value.type in _CLASS_VALUES:
        return Found((name,), "class", value.child_by_field_name("body"))
    if value.type == "call_expression" and _first_argument_is_function(value):
        return Found((name,), function_kind)
    return None


def _unwrap(value: Node | None) -> Node | None:
    while value is not None and value.type in _VALUE_WRAPPERS:
        value = value.named_children[0] if value.named_children else None
    return value


def _first_argument_is_function(call: Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return False
    first = _unwrap(arguments.named_children[0])
    return first is not None and first.type in _FUNCTION_VALUES


def _expression(node: Node, in_type: bool) -> Found | None:
    # `export default function () {}` has no name of its own; a named class expression at
    # statement level is how tree-sitter recovers a class declaration missing its last brace.
    name = field_text(node, "name")
    if not name:
        parent = node.parent
        if parent is None or parent.type != "export_statement":
            return None
        name = _ANONYMOUS_DEFAULT
    if node.type in _CLASS_VALUES:
        return Found((name,), "class", node.child_by_field_name("body"))
    return Found((name,), "function")


ECMASCRIPT = LanguageRules(
    declarations={
        "function_declaration": function(),
        "generator_function_declaration": function(),
        "function_signature": function(),
        "class_declaration": declaration("class", body="body"),
        "abstract_class_declaration": declaration("class", body="body"),
        "interface_declaration": declaration("interface", body="body"),
        "enum_declaration": declaration("enum"),
        "type_alias_declaration": declaration("type"),
        "internal_module": _namespace,
        "module": _namespace,
        "method_definition": _method,
        "method_signature": _method,
        "abstract_method_signature": _method,
        "public_field_definition": _field,
        "field_definition": _field,
        "variable_declarator": _variable,
        "class": _expression,
        "function_expression": _expression,
        "arrow_function": _expression,
        "generator_function": _expression,
    },
    transparent=frozenset({"expression_statement", "statement_block", "ERROR"}),
    wrappers=frozenset(
        {"export_statement", "ambient_declaration", "lexical_declaration", "variable_declaration"}
    ),
    leading=frozenset({"decorator"}),
)
