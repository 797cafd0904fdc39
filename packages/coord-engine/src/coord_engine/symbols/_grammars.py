"""Which grammar parses which file, and loading it without making tree-sitter a hard dependency."""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coord_engine.symbols._languages._c_family import CPP, C
from coord_engine.symbols._languages._csharp import CSHARP
from coord_engine.symbols._languages._ecmascript import ECMASCRIPT
from coord_engine.symbols._languages._go import GO
from coord_engine.symbols._languages._java import JAVA
from coord_engine.symbols._languages._kotlin import KOTLIN
from coord_engine.symbols._languages._php import PHP
from coord_engine.symbols._languages._python import PYTHON
from coord_engine.symbols._languages._ruby import RUBY
from coord_engine.symbols._languages._rust import RUST
from coord_engine.symbols._languages._scala import SCALA
from coord_engine.symbols._languages._swift import SWIFT

if TYPE_CHECKING:
    from tree_sitter import Language

    from coord_engine.symbols._walker import LanguageRules


@dataclass(frozen=True, slots=True)
class Grammar:
    """A language: the wheel that carries its grammar and the rules that read its trees."""

    module: str
    """The importable grammar package (`tree_sitter_python`)."""
    entry: str
    """The function of that package returning the language pointer."""
    rules: LanguageRules


GRAMMARS: dict[str, Grammar] = {
    "python": Grammar("tree_sitter_python", "language", PYTHON),
    "typescript": Grammar("tree_sitter_typescript", "language_typescript", ECMASCRIPT),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx", ECMASCRIPT),
    "javascript": Grammar("tree_sitter_javascript", "language", ECMASCRIPT),
    "go": Grammar("tree_sitter_go", "language", GO),
    "rust": Grammar("tree_sitter_rust", "language", RUST),
    "java": Grammar("tree_sitter_java", "language", JAVA),
    "c": Grammar("tree_sitter_c", "language", C),
    "cpp": Grammar("tree_sitter_cpp", "language", CPP),
    "csharp": Grammar("tree_sitter_c_sharp", "language", CSHARP),
    "ruby": Grammar("tree_sitter_ruby", "language", RUBY),
    "php": Grammar("tree_sitter_php", "language_php", PHP),
    "kotlin": Grammar("tree_sitter_kotlin", "language", KOTLIN),
    "swift": Grammar("tree_sitter_swift", "language", SWIFT),
    "scala": Grammar("tree_sitter_scala", "language", SCALA),
}
"""Every language coord can parse, by name. The [symbols] extra installs the grammars of the
first seven; the others parse once their wheel is installed."""

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    # C++ reads C headers well, the C grammar cannot read C++ ones: `.h` goes to C++.
    ".h": "cpp",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".ipp": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".php": "php",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".swift": "swift",
    ".scala": "scala",
    ".sc": "scala",
}


def language_for_path(path: str) -> str | None:
    """The language a file's extension names, whether or not its grammar is installed."""
    name = path.replace("\\", "/").rpartition("/")[2]
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return None
    return EXTENSIONS.get("." + extension.lower())


@functools.cache
def load_language(language: str) -> Language | None:
    """The tree-sitter language, or None when tree-sitter or the grammar wheel is missing.

    A grammar built for a language ABI this tree-sitter cannot read counts as missing too.
    """
    grammar = GRAMMARS.get(language)
    if grammar is None:
        return None
    try:
        from tree_sitter import Language  # noqa: PLC0415 - the [symbols] extra is optional

        module = importlib.import_module(grammar.module)
        return Language(getattr(module, grammar.entry)())
    except (ImportError, AttributeError, ValueError):
        return None


def available_languages() -> tuple[str, ...]:
    """The languages whose grammar is installed and loads with this tree-sitter, by name."""
    return tuple(language for language in GRAMMARS if load_language(language) is not None)
