"""Java: types at any depth, methods, and constructors named after their class (`Outer::Outer`)."""

from __future__ import annotations

from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import LanguageRules

JAVA = LanguageRules(
    declarations={
        "class_declaration": declaration("class", body="body"),
        "interface_declaration": declaration("interface", body="body"),
        "enum_declaration": declaration("enum", body="body"),
        "record_declaration": declaration("record", body="body"),
        "annotation_type_declaration": declaration("annotation", body="body"),
        "method_declaration": function(),
        "annotation_type_element_declaration": function(),
        "constructor_declaration": declaration("constructor"),
        "compact_constructor_declaration": declaration("constructor"),
    },
    transparent=frozenset({"enum_body_declarations", "ERROR"}),
    neutral=frozenset({"line_comment", "block_comment"}),
)
