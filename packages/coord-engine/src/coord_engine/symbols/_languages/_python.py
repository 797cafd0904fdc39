"""Python: classes, functions, methods, `type` aliases; decorators belong to the span."""

from __future__ import annotations

from coord_engine.symbols._rules import declaration, function
from coord_engine.symbols._walker import LanguageRules

PYTHON = LanguageRules(
    declarations={
        "function_definition": function(),
        "class_definition": declaration("class", body="body"),
        "type_alias_statement": declaration("type", name="left"),
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
