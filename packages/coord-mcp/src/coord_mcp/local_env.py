"""`.coordination/local.env`: finding it, and reading it as data (never as a shell script).

The file is gitignored and holds the real token, URL and repo id; the tracked MCP registrations
hold placeholders. It looks like a shell file (`export KEY=value`), but nothing in it is ever
run: `$(...)`, backticks and `$VAR` are kept as literal text.
"""

from __future__ import annotations

import re
from pathlib import Path

LOCAL_ENV = Path(".coordination") / "local.env"
"""Where the file lives, relative to the root of the repository it configures."""

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTES = ("'", '"')


def find_local_env(start: Path) -> Path | None:
    """The nearest `.coordination/local.env` in `start` or one of its parents, like git's `.git`."""
    for directory in (start, *start.parents):
        candidate = directory / LOCAL_ENV
        if candidate.is_file():
            return candidate
    return None


def parse_local_env(text: str) -> dict[str, str]:
    """`KEY=value` pairs of the file; comments, blank lines and malformed lines are skipped.

    Accepts an optional `export ` prefix, single or double quotes around a value, and a `#`
    comment after an unquoted value. No expansion or substitution of any kind happens.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        entry = _entry(line)
        if entry is not None:
            values[entry[0]] = entry[1]
    return values


def _entry(line: str) -> tuple[str, str] | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("export "):
        stripped = stripped.removeprefix("export ").lstrip()
    key, equals, raw = stripped.partition("=")
    key = key.strip()
    if not equals or not _KEY.fullmatch(key):
        return None
    return key, _value(raw.strip())


def _value(raw: str) -> str:
    if raw[:1] in _QUOTES:
        closing = raw.find(raw[0], 1)
        if closing > 0:
            return raw[1:closing]
    # As in a shell, an unquoted `#` after whitespace starts a comment.
    comment = re.search(r"\s#", raw)
    return raw[: comment.start()].rstrip() if comment else raw
