"""Whether claims the agent already holds cover a file (or its symbols), so it is claimed once.

Exact overlap needs coord-engine, which the hooks do without; this check is deliberately narrow.
A claim covers a file when its pattern names the file, or a literal directory above it (`src`,
`src/auth/**`). A glob such as `src/*.py` does not count here: the hook then claims the file
itself, which the agent's own glob claim never conflicts with, so the cost is one extra claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from coord_hooks._paths import unanchored
from coord_hooks._wire import HeldClaim as Claim
from coord_protocol.vocab import ScopeType

_WILDCARDS = frozenset("*?[")
_SYMBOL_SEPARATOR = "::"


def covers_file(claims: Iterable[Claim], path: str) -> bool:
    """Whether a whole-file claim among `claims` covers the repo-relative file `path`."""
    return any(
        claim.scope_type is ScopeType.FILE and _pattern_covers(claim.pattern, path)
        for claim in claims
    )


def covers_symbols(claims: Iterable[Claim], path: str, symbols: Sequence[str]) -> bool:
    """Whether `claims` hold every one of `symbols` of `path` (a parent symbol covers its own)."""
    held = [
        symbol
        for claim in claims
        if claim.scope_type is ScopeType.SYMBOL and _pattern_covers(claim.pattern, path)
        for symbol in claim.symbols or ()
    ]
    return all(any(_symbol_covers(h, wanted) for h in held) for wanted in symbols)


def _pattern_covers(pattern: str, path: str) -> bool:
    text = unanchored(pattern)
    literal = text.removesuffix("/**")
    if not literal or any(char in _WILDCARDS for char in literal):
        return False
    # `dir/**` covers what is inside `dir`, never `dir` itself; a bare `dir` covers both.
    return path.startswith(literal + "/") or (path == literal and literal == text)


def _symbol_covers(held: str, wanted: str) -> bool:
    return wanted == held or wanted.startswith(held + _SYMBOL_SEPARATOR)
