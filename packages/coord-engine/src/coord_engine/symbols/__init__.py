"""Symbols of source files (SPEC §5): declarations with canonical `Parent::child` paths.

Parsing needs the `coord-engine[symbols]` extra (tree-sitter and grammar wheels). Without it,
or for an unsupported extension, `extract_symbols` returns None and callers accept any symbol
name with a warning. Importing this package never imports tree-sitter; the first parse does.
"""

from coord_engine.symbols._cache import SymbolCache
from coord_engine.symbols._extract import extract_symbols, supported_language
from coord_engine.symbols._grammars import available_languages
from coord_engine.symbols._lookup import (
    HINT_LIMIT,
    enclosing_symbol,
    symbol_hint,
    validate_symbols,
)
from coord_engine.symbols._model import Symbol, SymbolKind, SymbolTable

__all__ = [
    "HINT_LIMIT",
    "Symbol",
    "SymbolCache",
    "SymbolKind",
    "SymbolTable",
    "available_languages",
    "enclosing_symbol",
    "extract_symbols",
    "supported_language",
    "symbol_hint",
    "validate_symbols",
]
