"""From bytes to a symbol table."""

from __future__ import annotations

from coord_engine.symbols._grammars import GRAMMARS, language_for_path, load_language
from coord_engine.symbols._model import SymbolTable
from coord_engine.symbols._walker import collect_symbols


def supported_language(path: str) -> str | None:
    """The language `path` would be parsed as, or None when no installed grammar reads it."""
    language = language_for_path(path)
    if language is None or load_language(language) is None:
        return None
    return language


def extract_symbols(path: str, source: bytes) -> SymbolTable | None:
    """Every declaration in `source`, parsed by the language `path`'s extension names.

    Returns None when the extension is unsupported or the grammar (or tree-sitter itself) is
    not installed: callers then accept any symbol name, with a warning (SPEC §5). Never raises on
    arbitrary bytes; broken code yields the declarations tree-sitter could still recognise.
    """
    language = language_for_path(path)
    if language is None:
        return None
    return parse_symbols(language, source)


def parse_symbols(language: str, source: bytes) -> SymbolTable | None:
    """Every declaration in `source` parsed as `language`; None when its grammar is missing."""
    loaded = load_language(language)
    if loaded is None:
        return None
    from tree_sitter import Parser  # noqa: PLC0415 - the [symbols] extra is optional

    # A parser per call: parsers keep state, and the server may extract from several threads.
    tree = Parser(loaded).parse(source)
    symbols = collect_symbols(tree.root_node, GRAMMARS[language].rules)
    return SymbolTable(language, tuple(symbols))
