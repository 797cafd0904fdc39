"""Local symbol validation (SPEC §5): a misspelt symbol is refused before any HTTP call.

Needs the `validate` extra (coord-engine's tree-sitter symbol extraction). Without it, for
globs, for files that do not exist locally and for unsupported languages, nothing is checked
here and the service decides. `COORD_DISABLE_CLIENT_VALIDATION=1` turns the check off.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from coord_mcp.results import Refusal, ToolResult, refused

logger = logging.getLogger("coord_mcp.validation")

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Larger files are left to the service rather than parsed in the agent's process."""

_GLOB_CHARACTERS = frozenset("*?[")


def check_symbols(repo_root: Path, symbols: Mapping[str, Sequence[str]]) -> ToolResult | None:
    """None when every named symbol exists or cannot be checked here; otherwise the refusal."""
    unknown = unknown_symbols(repo_root, symbols)
    if not unknown:
        return None
    detail = "; ".join(
        f"{path} declares no {', '.join(names)}" for path, (names, _known) in unknown.items()
    )
    refusal = Refusal(
        code="invalid_symbol",
        detail=f"unknown symbols, nothing was sent: {detail}",
        known_symbols={path: known for path, (_names, known) in unknown.items()},
    )
    return refused(
        refusal,
        "Use symbol paths the files declare (known_symbols lists them, closest first; nested "
        "ones as `Parent::child`), or claim the whole file by leaving it out of `symbols`.",
    )


def unknown_symbols(
    repo_root: Path, symbols: Mapping[str, Sequence[str]]
) -> dict[str, tuple[list[str], list[str]]]:
    """Per file: (the requested symbols it does not declare, the symbols it does declare)."""
    try:
        from coord_engine.symbols import (  # noqa: PLC0415 - the `validate` extra is optional
            extract_symbols,
            symbol_hint,
            validate_symbols,
        )
    except ImportError:
        return {}
    found: dict[str, tuple[list[str], list[str]]] = {}
    for path, names in symbols.items():
        source = _source(repo_root, path)
        table = extract_symbols(path, source) if source is not None else None
        if table is None:
            continue
        missing = validate_symbols(table, list(names))
        if missing:
            found[path] = (missing, symbol_hint(table, missing))
    return found


def _source(repo_root: Path, path: str) -> bytes | None:
    relative = path.replace("\\", "/").removeprefix("./").lstrip("/")
    if not relative or _GLOB_CHARACTERS & set(relative) or ".." in relative.split("/"):
        return None
    target = repo_root / relative
    try:
        if not target.is_file() or target.stat().st_size > MAX_FILE_BYTES:
            return None
        return target.read_bytes()
    except OSError as exc:
        logger.debug("cannot read %s for symbol validation: %s", target, exc)
        return None
