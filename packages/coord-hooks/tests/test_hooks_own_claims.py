"""Which claims already cover an edited file, so that the edit guard claims it only once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coord_hooks._identity import is_own
from coord_hooks._own_claims import covers_file, covers_symbols
from coord_hooks._wire import HeldClaim
from coord_protocol.vocab import ScopeType

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def claim(pattern: str, symbols: list[str] | None = None) -> HeldClaim:
    """An active claim of alice on `pattern`."""
    return HeldClaim(
        id="clm_1", engineer="alice", pattern=pattern, expires_at=NOW,
        scope_type=ScopeType.SYMBOL if symbols else ScopeType.FILE,
        symbols=tuple(symbols) if symbols else None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "covered"),
    [
        ("src/a.py", True),
        ("/package.json", False),
        ("src", True),
        ("src/**", True),
        ("/src", True),
        ("src/a.py/**", False),
        ("sr", False),
        ("src/*.py", False),  # a glob is not trusted without the engine: claimed again
        ("src/b.py", False),
    ],
)
def test_covers_file(pattern: str, covered: bool) -> None:
    assert covers_file([claim(pattern)], "src/a.py") is covered


def test_a_root_file_claim_covers_the_root_file() -> None:
    assert covers_file([claim("/package.json")], "package.json")
    assert not covers_file([claim("src/a.py", ["f"])], "src/a.py")  # symbols only


def test_covers_symbols() -> None:
    held = [claim("src/a.py", ["Cart", "checkout"]), claim("src/b.py", ["other"])]

    assert covers_symbols(held, "src/a.py", ["Cart::total", "checkout"])
    assert not covers_symbols(held, "src/a.py", ["Cartography"])
    assert not covers_symbols(held, "src/a.py", ["other"])


@pytest.mark.parametrize(
    ("holder", "own"),
    [("alice", True), ("alice/claude/main", True), ("alicia", False), ("bob/alice", False)],
)
def test_claims_beneath_the_engineer_are_their_own(holder: str, own: bool) -> None:
    assert is_own(holder, "alice") is own
