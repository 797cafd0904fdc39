"""Blockers drawn for people: a table that fits a terminal, a Markdown table, expiry times.

Everything drawn here comes from the service, written by other engineers, some of it before
coord refused control characters: each cell and line is passed through `printable`, so an
escape sequence shows as text instead of acting on the reader's terminal or Markdown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from coord_protocol.text import printable
from coord_protocol.timestamps import as_utc

if TYPE_CHECKING:  # only annotations: drawing a line must not load the HTTP client
    from coord_hooks._blockers import Blocker

TERMINAL_WIDTH = 80
"""Every line the hooks print fits this many columns."""

BLOCKER_HEADERS = ("file", "holder", "their claim", "expires")
"""Columns of the blocker table."""

_GAP = "  "
_ELLIPSIS = "..."


def wrap(text: str, width: int = TERMINAL_WIDTH) -> str:
    """`text` folded to `width` columns; a word longer than a line (a URL) stays whole."""
    return textwrap.fill(
        printable(text), width=width, break_long_words=False, break_on_hyphens=False
    )


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
    """One row per blocker, in the order of `BLOCKER_HEADERS`; stored text comes escaped."""
    return [
        (printable(b.file), printable(b.holder), printable(b.their_claim),
         expiry_text(b.expires_at, now))
        for b in blockers
    ]  # fmt: skip


def description_lines(blockers: Sequence[Blocker], width: int = TERMINAL_WIDTH) -> list[str]:
    """What each holder said they are doing, one line per claim that says it (escaped).

    The description is written by another engineer's agent: control characters print as
    visible escapes, and a long one is shortened to fit `width` columns.
    """
    said: dict[str, str] = {}
    for blocker in blockers:
        if blocker.description and blocker.claim_id not in said:
            text = " ".join(printable(blocker.description).split())
            said[blocker.claim_id] = (
                f"{_GAP}{printable(blocker.holder)} ({blocker.claim_id}): {text}"
            )
    if not said:
        return []
    lines = (
        line if len(line) <= width else line[: width - 3] + _ELLIPSIS for line in said.values()
    )
    return ["What the holders are doing:", *lines]


def blocker_lines(
    blockers: Sequence[Blocker], now: datetime, width: int = TERMINAL_WIDTH
) -> list[str]:
    """The blockers as a table when it fits `width` columns, else one short block each.

    Long paths and engineer names make a squeezed table unreadable, so a table that does not
    fit becomes blocks of labelled lines; only a line still too long is shortened, keeping its
    beginning and end (`services/.../handler.py`), where paths and names differ.
    """
    rows = blocker_rows(blockers, now)
    table = text_table(BLOCKER_HEADERS, rows)
    if all(len(line) <= width for line in table):
        return table
    labels = [f"{header}:".ljust(13) for header in BLOCKER_HEADERS[1:]]
    blocks = []
    for file, *rest in rows:
        details = (_GAP * 2 + label + cell for label, cell in zip(labels, rest, strict=True))
        blocks += [_GAP + file, *details]
    return [_shorten(line, width) for line in blocks]


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of an indented, left-aligned table with a rule under the headers."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [_line(headers, widths), _line(["-" * w for w in widths], widths)]
    return lines + [_line(row, widths) for row in rows]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return (_GAP + _GAP.join(c.ljust(w) for c, w in zip(cells, widths, strict=True))).rstrip()


def _shorten(line: str, width: int) -> str:
    if len(line) <= width:
        return line
    keep = width - len(_ELLIPSIS)
    head = keep // 2
    return line[:head] + _ELLIPSIS + line[len(line) - (keep - head) :]


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], code_columns: int
) -> list[str]:
    """Lines of a GitHub-flavoured Markdown table; the first `code_columns` cells show as code."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [_code(c) if i < code_columns else _plain(c) for i, c in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _code(cell: str) -> str:
    # A backtick would end the code span early; GitHub reads `\|` as a pipe even inside code.
    return "`" + printable(cell).replace("`", "'").replace("|", "\\|") + "`"


def _plain(cell: str) -> str:
    return printable(cell).replace("|", "\\|").replace("<", "&lt;")
