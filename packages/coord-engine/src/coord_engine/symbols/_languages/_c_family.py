"""C and C++: functions, prototypes, records, typedefs; in C++ also namespaces, classes, methods.

A C++ method defined outside its class (`void Server::start() {}`) takes its path from the
qualified name, so it lands on the same `Server::start` as its declaration in the class body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbol_paths import SEPARATOR
from coord_engine.symbols._nodes import field_text, text
from coord_engine.symbols._rules import declaration
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

    from coord_engine.symbols._model import SymbolKind

_RECORD_KINDS: dict[str, SymbolKind] = {
    "struct_specifier": "struct",
    "union_specifier": "union",
    "enum_specifier": "enum",
    "class_specifier": "class",
}
_DECLARATOR_WRAPPERS = frozenset(
    {"pointer_declarator", "reference_declarator", "attributed_declarator"}
)
_PLAIN_NAMES = frozenset(
    {"identifier", "field_identifier", "type_identifier", "namespace_identifier"}
)
_SPELLED_NAMES = frozenset({"destructor_name", "operator_name", "operator_cast"})


def _function(node: Node, in_type: bool) -> Found | None:
    segments = _function_name(node.child_by_field_name("declarator"))
    if not segments:
        return None
    return Found(segments, _function_kind(node, segments, in_type))


def _function_kind(node: Node, segments: tuple[str, ...], in_type: bool) -> SymbolKind:
    owner = segments[-2] if len(segments) > 1 else _enclosing_record_name(node)
    if owner and segments[-1] == owner:
        return "constructor"
    return "method" if in_type or len(segments) > 1 else "function"


def _enclosing_record_name(node: Node) -> str:
    body = node.parent
    while body is not None and body.type == "template_declaration":
        body = body.parent
    record = body.parent if body is not None else None
    if record is None or record.type not in _RECORD_KINDS:
        return ""
    return field_text(record, "name")


def _function_name(declarator: Node | None) -> tuple[str, ...]:
    while declarator is not None and declarator.type in _DECLARATOR_WRAPPERS:
        declarator = declarator.child_by_field_name("declarator") or _last_named(declarator)
    if declarator is None or declarator.type != "function_declarator":
        return ()
    return _qualified(declarator.child_by_field_name("declarator"))


def _last_named(node: Node) -> Node | None:
    return node.named_children[-1] if node.named_children else None


def _qualified(name: Node | None) -> tuple[str, ...]:
    if name is None:
        return ()
    if name.type in _PLAIN_NAMES or name.type in _SPELLED_NAMES:
        return ("".join(text(name).split()),)
    if name.type in ("template_function", "template_type", "template_method"):
        return _qualified(name.child_by_field_name("name"))
    if name.type == "qualified_identifier":
        scope = _qualified(name.child_by_field_name("scope"))
        return scope + _qualified(name.child_by_field_name("name"))
    return ()


def _record(node: Node, in_type: bool) -> Found | None:
    body = node.child_by_field_name("body")
    name = _qualified(node.child_by_field_name("name"))
    if body is None or not name:
        return None  # `struct point p;` only mentions the type; an anonymous one has no path
    members = None if node.type == "enum_specifier" else body
    return Found(name, _RECORD_KINDS[node.type], members)


def _declaration(node: Node, in_type: bool) -> Found | None:
    # `struct point { ... } origin;` declares the struct; `int add(int, int);` a prototype.
    record = node.child_by_field_name("type")
    found = (
        _record(record, in_type) if record is not None and record.type in _RECORD_KINDS else None
    )
    return found or _function(node, in_type)


def _typedef(node: Node, in_type: bool) -> Found | None:
    name = _typedef_name(node.child_by_field_name("declarator"))
    record = node.child_by_field_name("type")
    has_body = record is not None and record.child_by_field_name("body") is not None
    kind = _RECORD_KINDS.get(record.type, "type") if record is not None and has_body else "type"
    return Found((name,), kind)


def _typedef_name(declarator: Node | None) -> str:
    # `typedef struct node *node_ptr;` and `typedef int (*callback)(int);` name the innermost one.
    while declarator is not None and declarator.type != "type_identifier":
        inner = declarator.child_by_field_name("declarator")
        declarator = inner if inner is not None else _last_named(declarator)
    return text(declarator)


def _namespace(node: Node, in_type: bool) -> Found:
    name = "".join(field_text(node, "name").split())
    # An anonymous namespace adds no segment; its members stay at file level.
    segments = tuple(name.split(SEPARATOR)) if name else ()
    return Found(segments, "namespace", node.child_by_field_name("body"))


_SHARED = {
    "function_definition": _function,
    "declaration": _declaration,
    "struct_specifier": _record,
    "union_specifier": _record,
    "enum_specifier": _record,
    "type_definition": _typedef,
}
_PREPROCESSOR = frozenset(
    {"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef", "ERROR"}
)

C = LanguageRules(declarations=_SHARED, transparent=_PREPROCESSOR)

CPP = LanguageRules(
    declarations={
        **_SHARED,
        "field_declaration": _declaration,
        "class_specifier": _record,
        "namespace_definition": _namespace,
        "alias_declaration": declaration("type"),
    },
    transparent=_PREPROCESSOR | {"linkage_specification", "declaration_list"},
    wrappers=frozenset({"template_declaration"}),
    # `template <typename T>` and its `requires` clause open the declaration that follows.
    neutral=frozenset({"comment", "template_parameter_list", "requires_clause"}),
)
