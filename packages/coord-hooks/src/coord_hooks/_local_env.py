"""`.coordination/local.env`: where it is, and its `KEY=value` lines read as data.

The file looks like shell (`export KEY=value`) because people edit it by hand, but the hooks
never hand it to a shell: `$(...)`, backticks and `$VAR` stay literal text. Running it would let
anyone who can write the file run code inside every `git push`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

LOCAL_ENV = Path(".coordination") / "local.env"
"""Where the file lives, relative to the checkout it configures."""

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNQUOTED_COMMENT = re.compile(r"\s#")


def find_local_env(start: Path, fallbacks: Iterable[Path] = ()) -> Path | None:
    """The nearest `.coordination/local.env` walking up from `start`, else in a fallback root.

    A linked worktree lives outside the main checkout, so walking up from it never meets the
    main checkout's file; callers pass the main checkout as a fallback for that case.
    """
    for directory in (start, *start.parents, *fallbacks):
        candidate = directory / LOCAL_ENV
        if candidate.is_file():
            return candidate
    return None


def parse_local_env(text: str) -> dict[str, str]:
    """The `KEY=value` pairs of `text`; blank, comment and malformed lines are skipped.

    Accepts an `export ` prefix, single or double quotes around a value, and a `#` comment after
    an unquoted value. Nothing is expanded or substituted.
    """
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        pair = _pair(line.strip())
        if pair is not None:
            pairs[pair[0]] = pair[1]
    return pairs


def _pair(line: str) -> tuple[str, str] | None:
    if not line or line.startswith("#"):
        return None
    if line.startswith("export "):
        line = line[len("export ") :].lstrip()
    key, equals, raw_value = line.partition("=")
    key = key.strip()
    if not equals or _KEY.fullmatch(key) is None:
        return None
    return key, _unquote(raw_value.strip())


def _unquote(raw_value: str) -> str:
    quote = raw_value[:1]
    if quote in ("'", '"'):
        closing = raw_value.find(quote, 1)
        if closing > 0:
            return raw_value[1:closing]
    comment = _UNQUOTED_COMMENT.search(raw_value)
    return raw_value[: comment.start()].rstrip() if comment else raw_value
