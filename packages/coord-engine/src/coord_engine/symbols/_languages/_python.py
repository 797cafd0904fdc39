"""Python: classes, functions, methods, `type` aliases; decorators belong to the span."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coord_engine.symbols._nodes import field_text
from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import Found, LanguageRules

if TYPE_CHECKING:
    from tree_sitter import Node


def _type_alias(node: Node, in_type: bool) -> Found:
    # `type Pair[T] = ...`: the name without its type parameters.
    return Found((field_text(node, "left").partition("[")[0],), "type")


PYTHON = LanguageRules(
    declarations={
        "function_definition": function(),
        "class_definition": declaration("class", body="body"),
        "type_alias_statement": _type_alias,
    },
    # Definitions under `if TYPE_CHECKING:` or `try: ... except ImportError:` are still
    # module or class level; only function bodies are left alone.
    transparent=frozenset(
        {
            "block",
            "if_statement",
            "elif_clause",
            "else_clause",
            "try_statement",
            "except_clause",
            "except_group_clause",
            "finally_clause",
            "with_statement",
            "ERROR",
        }
    ),
    wrappers=frozenset({"decorated_definition"}),
    leading=frozenset({"decorator"}),
)
