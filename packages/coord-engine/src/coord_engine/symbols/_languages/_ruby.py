"""Ruby: modules, classes and methods; `def self.x` and `class << self` methods sit in their class.

`class Billing::Refund` opens `Refund` inside `Billing`, which is also how Ruby spells the path.
Every `def` is a `method`, at the top level too: Ruby has no other kind of function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import text
from coord_engine.symbols._rules import declaration
from coord_engine.symbols._walker import Describe, Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node

    from coord_engine.symbols._model import SymbolKind


def _namespace(kind: SymbolKind) -> Describe:
    def describe(node: Node, in_type: bool) -> Found:
        path = _constant_path(node.child_by_field_name("name"))
        return Found(path, kind, node.child_by_field_name("body"))

    return describe


def _constant_path(name: Node | None) -> tuple[str, ...]:
    if name is None or name.type != "scope_resolution":
        return (text(name),)
    scope = name.child_by_field_name("scope")
    outer = _constant_path(scope) if scope is not None else ()
    return outer + _constant_path(name.child_by_field_name("name"))


RUBY = LanguageRules(
    declarations={
        "class": _namespace("class"),
        "module": _namespace("module"),
        "method": declaration("method"),
        "singleton_method": declaration("method"),
    },
    transparent=frozenset({"singleton_class", "body_statement", "ERROR"}),
)
