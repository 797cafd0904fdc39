"""Blockers drawn for people: a table that fits a terminal, a Markdown table, expiry times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from coord_hooks._blockers import Blocker
from coord_protocol.timestamps import as_utc

TERMINAL_WIDTH = 80
"""Every line the hooks print fits this many columns."""

BLOCKER_HEADERS = ("file", "holder", "their claim", "expires")
"""Columns of the blocker table."""

_GAP = "  "
_ELLIPSIS = "..."
_MIN_COLUMN = 8


def expiry_text(expires_at: datetime, now: datetime) -> str:
    """`in 42m (10:42 UTC)`: how long until `expires_at`, then the time itself."""
    at = as_utc(expires_at)
    left = at - as_utc(now)
    if left <= timedelta(0):
        return f"expired ({at:%H:%M} UTC)"
    clock = f"{at:%H:%M} UTC" if left < timedelta(hours=20) else f"{at:%Y-%m-%d %H:%M} UTC"
    return f"in {_duration(left)} ({clock})"


def _duration(left: timedelta) -> str:
    minutes = max(1, int(left.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d{hours}h"
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def blocker_rows(blockers: Sequence[Blocker], now: datetime) -> list[tuple[str, ...]]:
    """One row per blocker, in the order of `BLOCKER_HEADERS`."""
    return [(b.file, b.holder, b.their_claim, expiry_text(b.expires_at, now)) for b in blockers]


def text_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], width: int = TERMINAL_WIDTH
) -> list[str]:
    """Lines of an indented, left-aligned table no wider than `width`.

    When the content is too wide the widest column gives way first; a shortened cell keeps its
    beginning and its end (`src/.../login.ts`), which is where paths and names differ.
    """
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    budget = width - len(_GAP) * len(widths)
    while sum(widths) > budget and max(widths) > _MIN_COLUMN:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    lines = [_line(headers, widths), _line(["-" * w for w in widths], widths)]
    return lines + [_line(row, widths) for row in rows]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    shown = (_shorten(cell, w).ljust(w) for cell, w in zip(cells, widths, strict=True))
    return (_GAP + _GAP.join(shown)).rstrip()


def _shorten(cell: str, width: int) -> str:
    if len(cell) <= width:
        return cell
    keep = width - len(_ELLIPSIS)
    head = keep // 2
    return cell[:head] + _ELLIPSIS + cell[len(cell) - (keep - head) :]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a GitHub-flavoured Markdown table; every cell is shown as code."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(_code(cell) for cell in row) + " |" for row in rows]


def _code(cell: str) -> str:
    # A backtick or pipe inside a cell would end the code span or the cell early.
    return "`" + cell.replace("`", "'").replace("|", "\\|") + "`"
