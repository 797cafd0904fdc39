"""Swift: classes, structs, enums, actors, protocols, extensions, functions, `init`/`deinit`.

`extension Router { ... }` is an occurrence of `Router` (kind `extension`) holding its members,
like a Rust impl block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text, text
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Describe, Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

    from coord_engine.symbols._model import SymbolKind

_KINDS: dict[str, SymbolKind] = {
    "class": "class",
    "struct": "struct",
    "enum": "enum",
    "actor": "class",
    "extension": "extension",
}


def _type(node: Node, in_type: bool) -> Found | None:
    kind = _KINDS.get(field_text(node, "declaration_kind"), "class")
    name = node.child_by_field_name("name")
    segments = _extended_type(name) if kind == "extension" else (text(name),)
    return Found(segments, kind, node.child_by_field_name("body"))


def _extended_type(name: Node | None) -> tuple[str, ...]:
    # `extension Outer.Inner` extends `Outer::Inner`; generic arguments are not part of the name.
    if name is None:
        return ()
    identifiers = [text(child) for child in name.named_children if child.type == "type_identifier"]
    return tuple(identifiers) if identifiers else (text(name),)


def _keyword(name: str, kind: SymbolKind) -> Describe:
    def describe(node: Node, in_type: bool) -> Found:
        return Found((name,), kind)

    return describe


SWIFT = LanguageRules(
    declarations={
        "class_declaration": _type,
        "protocol_declaration": declaration("protocol", body="body"),
        "function_declaration": function(),
        "protocol_function_declaration": function(),
        "init_declaration": _keyword("init", "constructor"),
        "deinit_declaration": _keyword("deinit", "method"),
        "typealias_declaration": declaration("type"),
    },
    transparent=frozenset({"ERROR"}),
)
