"""C#: types at any depth, methods, constructors, destructors (`~Name`) and properties.

Namespaces are not part of a path, as Java packages are not: a file holds one namespace and
paths stay short (`Service::Run`, not `Company::Product::Service::Run`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node


def _destructor(node: Node, in_type: bool) -> Found:
    return Found(("~" + field_text(node, "name"),), "method")


CSHARP = LanguageRules(
    declarations={
        "class_declaration": declaration("class", body="body"),
        "struct_declaration": declaration("struct", body="body"),
        "interface_declaration": declaration("interface", body="body"),
        "record_declaration": declaration("record", body="body"),
        "record_struct_declaration": declaration("record", body="body"),
        "enum_declaration": declaration("enum"),
        "delegate_declaration": declaration("type"),
        "method_declaration": function(),
        "constructor_declaration": declaration("constructor"),
        "destructor_declaration": _destructor,
        "property_declaration": declaration("property"),
    },
    transparent=frozenset(
        {"namespace_declaration", "file_scoped_namespace_declaration", "declaration_list", "ERROR"}
    ),
)
