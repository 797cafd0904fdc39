"""Patterns parsed once: every public check starts from the cached structure of its pattern."""

from __future__ import annotations

from functools import lru_cache

from coord_engine._glob import Glob, parse_canonical
from coord_engine.patterns import normalize_pattern


@lru_cache(maxsize=4096)
def glob_of(pattern: str) -> Glob:
    """The parsed canonical form of `pattern`; raises `PatternError` when it is invalid.

    Callers normally pass canonical patterns; anything else is normalised first, so a spelling
    such as `src/` behaves exactly like its canonical `src/**`.
    """
    return parse_canonical(normalize_pattern(pattern))
