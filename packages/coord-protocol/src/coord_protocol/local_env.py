"""`.coordination/local.env`: finding it, reading it as data, merging it under the environment.

Every client (coord-mcp, coord-hook, coord) resolves its configuration the same way (SPEC §10.1):
an explicit environment variable wins; a key that is unset or holds a documented placeholder takes
its value from the nearest `.coordination/local.env`, found by walking up from the working
directory like git looks for `.git`.

The service URL and the token are one pair and always come from one source: when the environment
names either, both come from the environment (a token without a URL goes to the default URL), and
local.env supplies neither; otherwise both come from local.env. Mixing them would send a token to
a service it was never meant for: an engineer token exported in the shell to the URL of some
parent directory's checkout, or that checkout's token to a URL exported for something else.

The file looks like a shell file (`export KEY=value`), but nothing in it is ever run: `$(...)`,
backticks and `$VAR` are kept as literal text.

Only the standard library is used here, so a git hook can resolve its configuration without
loading pydantic or httpx.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LOCAL_ENV = Path(".coordination") / "local.env"
"""Where the file lives, relative to the root of the checkout it configures."""

KEYS = (
    "COORD_API_URL",
    "COORD_AUTH_TOKEN",
    "COORD_REPO_ID",
    "COORD_BRANCH",
    "COORD_REPO_ROOT",
    "COORD_USER",
)
"""The keys `local.env` may fill; any other line of the file is ignored."""

CONNECTION_KEYS = ("COORD_API_URL", "COORD_AUTH_TOKEN")
"""The service and the token sent to it: both are taken from one source, never mixed."""

PLACEHOLDER_TOKENS = frozenset({"", "set-me", "changeme", "change-me"})
"""Token values that templates ship: never sent as a bearer token."""

PLACEHOLDERS = frozenset({"set-me", "example-org/example-repo", "http://127.0.0.1:8080"})
"""Values the tracked templates ship; they count as unset."""

DEFAULT_API_URL = "http://127.0.0.1:8080"
"""Where the service is when nothing says otherwise (`coord start`'s default)."""

ENVIRONMENT = "environment"
"""Source name of a value that came from the process environment."""


def local_token_file(environ: Mapping[str, str]) -> Path:
    """Where `coord start` keeps the local service's operator token: `$COORD_HOME/token`."""
    home = environ.get("COORD_HOME", "").strip()
    return (Path(home).expanduser() if home else Path.home() / ".coord") / "token"


def token_location(environ: Mapping[str, str]) -> str:
    """Where a valid token is, for a 401's fix line (local service first, then a shared one)."""
    return (
        f"the local service's token is in {local_token_file(environ)} (`coord status` prints "
        "it); a shared service's token comes from its operator"
    )


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTES = ("'", '"')


def is_placeholder(value: str | None) -> bool:
    """True for a missing, empty or documented placeholder value."""
    if value is None:
        return True
    cleaned = value.strip()
    return cleaned.rstrip("/") in PLACEHOLDERS or cleaned in PLACEHOLDER_TOKENS


def find_local_env(start: Path) -> Path | None:
    """The nearest `.coordination/local.env` in `start` or one of its parents."""
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


def read_local_env(path: Path) -> dict[str, str]:
    """The allowlisted `KEYS` of the file at `path`.

    Raises `OSError` when the file cannot be read and `UnicodeDecodeError` when it is not UTF-8.
    """
    text = path.read_text(encoding="utf-8")
    return {key: value for key, value in parse_local_env(text).items() if key in KEYS}


@dataclass(frozen=True, slots=True)
class ResolvedEnv:
    """The `COORD_*` client keys in effect, and where each came from."""

    values: Mapping[str, str] = field(default_factory=dict)
    """Value in effect per key (may still be a placeholder when nothing better exists)."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Per key: `environment`, or the path of the local.env that supplied it."""
    local_env: Path | None = None
    """The `.coordination/local.env` found walking up, if any."""

    def real(self, key: str) -> str | None:
        """The value of `key` unless it is missing or a placeholder, stripped."""
        value = self.values.get(key)
        return None if is_placeholder(value) else str(value).strip()


def connection_from_environment(environ: Mapping[str, str]) -> bool:
    """True when `environ` holds a real URL or token: then the whole pair comes from it."""
    return any(not is_placeholder(environ.get(key)) for key in CONNECTION_KEYS)


def merge_local_env(
    environ: Mapping[str, str], from_file: Mapping[str, str], local_env: Path | None
) -> ResolvedEnv:
    """Explicit real values of `environ` win; the file fills unset or placeholder keys.

    The URL and the token are the exception: both come from `environ` when it names either,
    and the file fills them only when it names neither.
    """
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    pair_from_environ = connection_from_environment(environ)
    for key in KEYS:
        explicit = environ.get(key)
        filed = None if pair_from_environ and key in CONNECTION_KEYS else from_file.get(key)
        if not is_placeholder(explicit) or (filed is None and explicit is not None):
            values[key], sources[key] = str(explicit), ENVIRONMENT
        elif filed is not None:
            values[key], sources[key] = filed, str(local_env)
    return ResolvedEnv(values, sources, local_env)


def resolve_local_env(
    environ: Mapping[str, str],
    cwd: Path,
    on_unreadable: Callable[[Path, Exception], None] | None = None,
) -> ResolvedEnv:
    """The client keys for a process started in `cwd` with `environ`.

    An unreadable local.env counts as absent; `on_unreadable` hears about it (to log a warning).
    """
    local_env = find_local_env(cwd)
    from_file: dict[str, str] = {}
    if local_env is not None:
        try:
            from_file = read_local_env(local_env)
        except (OSError, UnicodeDecodeError) as exc:
            if on_unreadable is not None:
                on_unreadable(local_env, exc)
    return merge_local_env(environ, from_file, local_env)


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
