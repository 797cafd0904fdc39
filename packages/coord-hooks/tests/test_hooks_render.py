"""Blockers drawn for a terminal and for a GitHub step summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord_hooks._blockers import Blocker
from coord_hooks._render import blocker_lines, description_lines, expiry_text, markdown_table

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def blocker(file: str, holder: str = "bob", **fields: object) -> Blocker:
    """A blocker expiring in 42 minutes."""
    values: dict[str, object] = {
        "file": file, "holder": holder, "claim_id": "clm_1", "pattern": file, "symbols": (),
        "expires_at": NOW + timedelta(minutes=42), "description": None, **fields,
    }  # fmt: skip
    return Blocker(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(seconds=20), "in 1m (10:00 UTC)"),
        (timedelta(minutes=42), "in 42m (10:42 UTC)"),
        (timedelta(hours=3, minutes=5), "in 3h05m (13:05 UTC)"),
        (timedelta(days=2, hours=1), "in 2d1h (2026-11-26 11:00 UTC)"),
        (timedelta(minutes=-5), "expired (09:55 UTC)"),
    ],
)
def test_expiry_text(left: timedelta, text: str) -> None:
    assert expiry_text(NOW + left, NOW) == text


def test_a_table_that_fits_is_a_table() -> None:
    lines = blocker_lines([blocker("src/a.py"), blocker("src/b.py", symbols=("f", "g"))], NOW)

    assert lines[0].split() == ["file", "holder", "their", "claim", "expires"]
    assert lines[2].split() == ["src/a.py", "bob", "src/a.py", "in", "42m", "(10:42", "UTC)"]
    assert "src/b.py#f,g" in lines[3]


def test_a_table_too_wide_becomes_blocks_that_fit_80_columns() -> None:
    long_path = "services/payments/internal/reconciliation/" + "x" * 60 + "/ledger.py"
    wide = [
        blocker(long_path, holder="carol/codex/a-very-long-worktree-name-for-payments"),
        blocker("src/a.py"),
    ]

    lines = blocker_lines(wide, NOW)

    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("  services/payments/") and lines[0].endswith("/ledger.py")
    assert "..." in lines[0]
    assert lines[1] == "    holder:      carol/codex/a-very-long-worktree-name-for-payments"
    assert lines[4:6] == ["  src/a.py", "    holder:      bob"]


def test_markdown_cells_cannot_break_the_table() -> None:
    lines = markdown_table(("file", "note"), [("a|b`c.py", "x|<y>")], code_columns=1)

    assert lines == ["| file | note |", "|---|---|", "| `a\\|b'c.py` | x\\|&lt;y> |"]


def test_descriptions_are_escaped_and_fit_80_columns() -> None:
    said = blocker("src/a.py", description="rework \x1b[2J the cart " + "x" * 100)
    silent = blocker("src/b.py", holder="cy", claim_id="clm_2")

    lines = description_lines([said, silent])

    assert lines[0] == "What the holders are doing:"
    assert lines[1].startswith("  bob (clm_1): rework \\x1b[2J the cart ")
    assert len(lines) == 2 and len(lines[1]) == 80 and lines[1].endswith("...")
    assert description_lines([silent]) == []


def test_control_characters_in_stored_text_show_as_escapes() -> None:
    held = blocker("src/a.py", holder="bob\x1b[2J", pattern="src/a.py")
    terminal = blocker_lines([held], NOW)
    markdown = markdown_table(("holder", "note"), [("bob\x1b[2J", "a\nb\u202e")], code_columns=1)

    assert terminal[2] == "  src/a.py  bob\\x1b[2J  src/a.py     in 42m (10:42 UTC)"
    assert markdown[2] == "| `bob\\x1b[2J` | a\\x0ab\\u202e |"
