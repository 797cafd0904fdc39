"""Where `coord` writes: results to stdout, progress and notices to stderr, JSON untouched.

Consoles are built per call so that tests and `COLUMNS` see the terminal of the moment. Markup is
off: patterns such as `src/[ab].ts` must print as they are, never as rich style tags. Text for
people is passed through `printable`: names and descriptions other engineers wrote (some stored
before coord refused control characters) show their escapes instead of acting on the terminal.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from coord_protocol.text import printable

STATUS_STYLES = {"OK": "green", "WARN": "yellow", "FAIL": "red bold"}
"""Colour of each check status, used when the terminal shows colour."""


def console() -> Console:
    """The console for results (stdout)."""
    return Console(markup=False, highlight=False, emoji=False)


def error_console() -> Console:
    """The console for progress, warnings and errors (stderr)."""
    return Console(stderr=True, markup=False, highlight=False, emoji=False)


def emit_json(value: Any) -> None:
    """`value` as indented JSON on stdout: the stable, scriptable form of every command."""
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
    sys.stdout.flush()


def say(text: str, style: str | None = None) -> None:
    """One line of result on stdout."""
    console().print(_shown(text), style=style, soft_wrap=True)


def warn(text: str) -> None:
    """One line of warning on stderr."""
    error_console().print(f"coord: {_shown(text)}", style="yellow", soft_wrap=True)


WIDE_WIDTH = 10_000
"""Console width of `--wide` output: every cell prints whole, however long the line."""

COLUMN_GAP = 2
"""Columns between two cells of a table (right padding and the blank divider of `SIMPLE_HEAD`)."""

MIN_COLUMN = 12
"""A column is never squeezed below this (or its header): narrower, the rows become blocks."""

MAX_CELL_LINES = 2
"""A table whose cells would wrap onto more lines than this prints as blocks instead."""

_BREAK_AFTER = re.compile(r"[^/ ,]*(?:[/,]|\s)*")


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    title: str | None = None,
    wide: bool = False,
) -> None:
    """A table on stdout that fits the terminal; `wide` prints every cell whole instead.

    The first column (an id or name) stays whole. When the table is wider than the terminal,
    the widest other columns are narrowed and their cells wrapped after path separators,
    commas and spaces (`src/auth/` / `login.ts`), never inside a name. When that does not fit,
    or leaves a cell on more than `MAX_CELL_LINES` lines, each row becomes a block of labelled
    lines, wrapped the same way.
    """
    cells = [[printable(cell) for cell in row] for row in rows]  # escaped before measuring
    output = console()
    if wide:
        output = Console(markup=False, highlight=False, emoji=False, width=WIDE_WIDTH)
    else:
        limits = _column_limits(headers, cells, output.width)
        wrapped = [
            [_wrapped(c, limits[i]) if i else c for i, c in enumerate(r)] for r in cells
        ] if limits else []  # fmt: skip
        if limits is None or any(c.count("\n") >= MAX_CELL_LINES for r in wrapped for c in r):
            _blocks(output, headers, cells, title)
            return
        cells = wrapped
    view = Table(
        title=title, title_justify="left", header_style="bold", expand=False,
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0),
    )  # fmt: skip
    for index, header in enumerate(headers):
        view.add_column(header, overflow="fold", no_wrap=index == 0 or wide)
    for row in cells:
        view.add_row(*row)
    output.print(view)


def _column_limits(headers: Sequence[str], rows: list[list[str]], width: int) -> list[int] | None:
    """Widths that make the table fit `width`, narrowing the widest first; None if none do."""
    limits = [
        max([len(header), *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)
    ]
    excess = sum(limits) + COLUMN_GAP * (len(headers) - 1) - width
    floors = [limits[0], *(max(len(header), MIN_COLUMN) for header in headers[1:])]
    while excess > 0:
        narrowable = [i for i in range(1, len(limits)) if limits[i] > floors[i]]
        if not narrowable:
            return None
        widest = max(narrowable, key=lambda i: limits[i])
        limits[widest] -= 1
        excess -= 1
    return limits


def _blocks(
    output: Console, headers: Sequence[str], rows: list[list[str]], title: str | None
) -> None:
    label_width = max(len(header) for header in headers[1:]) + 2
    indent = 2 + label_width + 1
    if title:
        output.print(title, style="bold", soft_wrap=True)
    for first, *rest in rows:
        output.print(first, style="bold", soft_wrap=True)
        for header, cell in zip(headers[1:], rest, strict=True):
            lines = _wrapped(cell, max(output.width - indent, MIN_COLUMN)).splitlines() or [""]
            output.print(f"  {header + ':':<{label_width}} {lines[0]}", soft_wrap=True)
            for line in lines[1:]:
                output.print(" " * indent + line, soft_wrap=True)


def _wrapped(text: str, width: int) -> str:
    """`text` on lines of at most `width` characters, broken only after `/`, `,` or a space."""
    if len(text) <= width:
        return text
    lines: list[str] = []
    line = ""
    for piece in _BREAK_AFTER.findall(text):
        if line and len(line) + len(piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
    lines.append(line.rstrip())
    return "\n".join(part for part in lines if part)


def _shown(text: str) -> str:
    # Line breaks the command wrote itself stay; every other control character is escaped.
    return "\n".join(printable(line) for line in text.split("\n"))
