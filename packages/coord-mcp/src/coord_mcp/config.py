"""Configuration of coord-mcp (SPEC §10.1): explicit environment first, then `local.env`.

The MCP registrations that `coord init` tracks in a repository carry placeholder values
(`set-me`, `example-org/example-repo`, `http://127.0.0.1:8080`). A key that is unset or holds a
placeholder takes its value from the nearest `.coordination/local.env`; a real value in the
environment always wins. A placeholder token is never sent anywhere.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from coord_mcp import _git
from coord_protocol._base import SESSION_ID_PATTERN
from coord_protocol.local_env import (
    DEFAULT_API_URL,
    ENVIRONMENT,
    KEYS,
    LOCAL_ENV,
    PLACEHOLDERS,
    find_local_env,
    is_placeholder,
    merge_local_env,
    read_local_env,
)

# The local.env rules are shared by every client and live in coord-protocol; they stay
# importable from here.
__all__ = [
    "DEFAULT_API_URL",
    "ENVIRONMENT",
    "KEYS",
    "PLACEHOLDERS",
    "McpConfig",
    "is_placeholder",
    "resolve_config",
]

logger = logging.getLogger("coord_mcp.config")

_TRUTHY = frozenset({"1", "true", "yes", "on"})
_SESSION = re.compile(SESSION_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class McpConfig:
    """Everything coord-mcp needs to know, resolved once when the process starts."""

    api_url: str
    """Base URL of the coord service."""
    token: str | None
    """Bearer token; None when missing or still a placeholder (then nothing is sent)."""
    token_source: str | None
    """Where the token in effect came from: `environment`, the path of local.env, or None."""
    repo_id: str | None
    """`owner/name` attached to every claim, or None for the no-repo bucket."""
    branch: str | None
    """Branch attached to claims when a call names none."""
    repo_root: Path
    """Checkout the claimed paths are relative to (for local symbol validation)."""
    user: str | None
    """`COORD_USER`: who this agent is when a tool has no `engineer` argument."""
    session_id: str
    """Session id sent with every call: `COORD_SESSION_ID` or one made for this process."""
    local_env: Path | None
    """The `.coordination/local.env` found walking up, if any."""
    expected_local_env: Path
    """Where local.env is (or should be created): named by every configuration error."""
    validate_symbols: bool = True
    """False when `COORD_DISABLE_CLIENT_VALIDATION=1`."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """For each key in effect, where its value came from."""


def resolve_config(
    environ: Mapping[str, str],
    cwd: Path,
    new_session_id: Callable[[], str] = lambda: secrets.token_hex(8),
) -> McpConfig:
    """The configuration for a coord-mcp started in `cwd` with `environ`."""
    local_env = find_local_env(cwd)
    resolved = merge_local_env(environ, _read(local_env), local_env)
    values, sources = dict(resolved.values), dict(resolved.sources)
    token = values.get("COORD_AUTH_TOKEN")
    real_token = None if is_placeholder(token) else token
    repo_root = _repo_root(values, local_env, cwd)
    return McpConfig(
        api_url=_real(values.get("COORD_API_URL")) or DEFAULT_API_URL,
        token=real_token.strip() if real_token else None,
        token_source=sources.get("COORD_AUTH_TOKEN"),
        repo_id=_real(values.get("COORD_REPO_ID")),
        branch=_real(values.get("COORD_BRANCH")) or _git.current_branch(cwd),
        repo_root=repo_root,
        user=_real(values.get("COORD_USER")),
        session_id=_session_id(environ, new_session_id),
        local_env=local_env,
        expected_local_env=local_env or repo_root / LOCAL_ENV,
        validate_symbols=environ.get("COORD_DISABLE_CLIENT_VALIDATION", "").lower() not in _TRUTHY,
        sources=sources,
    )


def _read(local_env: Path | None) -> dict[str, str]:
    if local_env is None:
        return {}
    try:
        return read_local_env(local_env)
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("cannot read %s (%s); using the environment only", local_env, exc)
        return {}


def _real(value: str | None) -> str | None:
    return None if is_placeholder(value) else str(value).strip()


def _repo_root(values: Mapping[str, str], local_env: Path | None, cwd: Path) -> Path:
    configured = _real(values.get("COORD_REPO_ROOT"))
    if configured:
        return Path(configured).expanduser()
    if local_env is not None:
        return local_env.parent.parent
    return _git.checkout_root(cwd) or cwd


def _session_id(environ: Mapping[str, str], new_session_id: Callable[[], str]) -> str:
    pinned = environ.get("COORD_SESSION_ID", "").strip()
    if pinned and _SESSION.fullmatch(pinned):
        return pinned
    if pinned:
        logger.warning(
            "COORD_SESSION_ID %r is not 1-128 characters of A-Z a-z 0-9 . _ : -; "
            "using a new session id for this process instead",
            pinned,
        )
    return new_session_id()
