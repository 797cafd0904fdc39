"""Symbol paths such as `Router::handleAuth`, and when two of them overlap (SPEC §5).

A symbol path names a declaration and everything nested in it: `Outer` covers
`Outer::Inner::method`. Two paths overlap iff they are equal or one is a `::`-prefix of the other,
compared by whole parts, so `Router` covers `Router::handleAuth` but not `RouterX`.
"""

from __future__ import annotations

from collections.abc import Iterable

SEPARATOR = "::"
"""Joins a parent declaration and a child: `Outer::Inner::method`."""

MAX_SYMBOL_LENGTH = 512
"""Longest accepted symbol path, in characters."""

MAX_SYMBOL_DEPTH = 32
"""Most parts accepted in one symbol path."""


class SymbolPathError(ValueError):
    """A symbol path that cannot be claimed; `.symbol` and `.rule` say which and why."""

    def __init__(self, symbol: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.symbol = symbol
        self.rule = rule
        self.message = message


def parse_symbol_path(raw: str) -> tuple[str, ...]:
    """Split `raw` into its parts, refusing paths no declaration could have.

    Raises `SymbolPathError` naming the symbol and the rule it breaks.
    """
    _check_whole(raw)
    parts = tuple(raw.split(SEPARATOR))
    for part in parts:
        _check_part(raw, part)
    if len(parts) > MAX_SYMBOL_DEPTH:
        raise SymbolPathError(
            raw,
            "too_deep",
            f"symbol {raw!r} has {len(parts)} parts; at most {MAX_SYMBOL_DEPTH} are allowed, "
            "claim an enclosing declaration instead",
        )
    return parts


def normalize_symbol_path(raw: str) -> str:
    """The canonical spelling of `raw` (validated; the notation has a single spelling)."""
    return SEPARATOR.join(parse_symbol_path(raw))


def normalize_symbols(raws: Iterable[str]) -> tuple[str, ...]:
    """Validate every path and return them sorted and without duplicates."""
    return tuple(sorted({normalize_symbol_path(raw) for raw in raws}))


def symbol_paths_overlap(a: str, b: str) -> bool:
    """True when `a` and `b` are equal or one is an ancestor of the other.

    Both must be canonical (see `normalize_symbol_path`): since no part contains `:`, a string
    prefix followed by `::` is exactly a prefix by parts.
    """
    if len(a) == len(b):
        return a == b
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return longer.startswith(shorter) and longer.startswith(SEPARATOR, len(shorter))


def overlapping_symbols(xs: Iterable[str], ys: Iterable[str]) -> tuple[str, ...]:
    """The declarations both sides hold, sorted: for each overlapping pair, the deeper path.

    `Router` against `Router::handleAuth` gives `("Router::handleAuth",)`, the part of the code
    both claims cover; disjoint sets give `()`.
    """
    ys = tuple(ys)
    shared: set[str] = set()
    for x in xs:
        for y in ys:
            if symbol_paths_overlap(x, y):
                shared.add(x if len(x) >= len(y) else y)
    return tuple(sorted(shared))


def _check_whole(raw: str) -> None:
    if not raw:
        raise SymbolPathError(raw, "empty", "symbol path is empty; name a declaration like `f`")
    if len(raw) > MAX_SYMBOL_LENGTH:
        raise SymbolPathError(
            raw,
            "too_long",
            f"symbol {raw[:40]!r}... is {len(raw)} characters long; "
            f"at most {MAX_SYMBOL_LENGTH} are allowed",
        )
    for char in raw:
        if char.isspace() or not char.isprintable():
            raise SymbolPathError(
                raw,
                "bad_character",
                f"symbol {raw!r} contains whitespace or a control character ({char!r}); "
                "write the declaration name as the parser reports it, like `Router::handleAuth`",
            )


def _check_part(raw: str, part: str) -> None:
    if not part:
        raise SymbolPathError(
            raw,
            "empty_part",
            f"symbol {raw!r} has an empty part; join names with a single `::`, "
            "like `Outer::Inner::method`",
        )
    if ":" in part:
        raise SymbolPathError(
            raw,
            "stray_colon",
            f"symbol {raw!r} has a `:` that is not part of a `::` separator; "
            "join names with exactly two colons",
        )
