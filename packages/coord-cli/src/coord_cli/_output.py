"""Where `coord` writes: results to stdout, progress and notices to stderr, JSON untouched.

Consoles are built per call so that tests and `COLUMNS` see the terminal of the moment. Markup is
off: patterns such as `src/[ab].ts` must print as they are, never as rich style tags. Text for
people is passed through `printable`: names and descriptions other engineers wrote (some stored
before coord refused control characters) show their escapes instead of acting on the terminal.
"""

from __future__ import annotations

import json
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


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], title: str | None = None) -> None:
    """A table on stdout; the first column (an id or name) stays whole, other cells wrap."""
    view = Table(
        title=title, title_justify="left", header_style="bold", expand=False,
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
    )  # fmt: skip
    for index, header in enumerate(headers):
        view.add_column(header, overflow="fold", no_wrap=index == 0)
    for row in rows:
        view.add_row(*(printable(cell) for cell in row))
    console().print(view)


def _shown(text: str) -> str:
    # Line breaks the command wrote itself stay; every other control character is escaped.
    return "\n".join(printable(line) for line in text.split("\n"))
