"""Configuration of the hooks: the environment first, then `.coordination/local.env`.

`coord init` writes the real URL, token and repo id into the gitignored `local.env`; tracked
files carry placeholders. Finding and parsing the file is coord-protocol's
(`coord_protocol.local_env`, shared by every client); the hooks add the legacy aliases, the
worktree fallback and `COORD_PREPUSH_MODE`.

For each key the first real value wins, in this order: the environment under the key's name, the
environment under its legacy alias, the file under the name, the file under the alias. A
placeholder (`set-me`, `example-org/example-repo`, the template URL) counts as unset, and a
placeholder token is never sent. The URL and the token are one pair, taken from one source as
every client takes them (`merge_local_env`): the environment when it names either, else the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from coord_protocol.local_env import (
    DEFAULT_API_URL,
    LOCAL_ENV,
    find_local_env,
    is_placeholder,
    merge_local_env,
    parse_local_env,
)

ALIASES: Mapping[str, tuple[str, ...]] = {
    "COORD_API_URL": ("COORD_API_URL", "COORD_SERVICE_URL"),
    "COORD_AUTH_TOKEN": ("COORD_AUTH_TOKEN", "COORD_TOKEN"),
    "COORD_REPO_ID": ("COORD_REPO_ID",),
    "COORD_BRANCH": ("COORD_BRANCH",),
    "COORD_USER": ("COORD_USER",),
    "COORD_PREPUSH_MODE": ("COORD_PREPUSH_MODE",),
}
"""Each key the hooks read, with the names it may be spelt under, preferred first."""


class PrePushMode(StrEnum):
    """What the pre-push hook does when it finds conflicts or cannot ask the service."""

    ENFORCE = "enforce"
    """Conflicts block the push; so does a service that cannot be asked."""
    ADVISE = "advise"
    """Conflicts and an unreachable service are reported; the push goes ahead."""


@dataclass(frozen=True, slots=True)
class HookConfig:
    """Everything a hook needs to reach the service and say who is asking."""

    api_url: str
    """Base URL of the coord service."""
    token: str | None
    """Bearer token, or None when missing or a placeholder (nothing is sent then)."""
    repo_id: str | None
    """`owner/name` the claims belong to, or None for the no-repo bucket."""
    branch: str | None
    """`COORD_BRANCH`, shown to others on claims the hooks make."""
    user: str | None
    """`COORD_USER`: the engineer the hooks act as (derived from git when absent)."""
    prepush_mode: PrePushMode
    """`COORD_PREPUSH_MODE`, enforce unless set to advise."""
    local_env: Path | None
    """The `local.env` that was read, if one was found."""
    configured: bool
    """False when neither the environment nor a `local.env` names a service or token."""
    warnings: tuple[str, ...] = ()
    """Problems found while resolving, to show the user (an unknown mode, an unreadable file)."""

    @property
    def token_hint(self) -> str:
        """Where to fix the token, for error messages."""
        return str(self.local_env) if self.local_env else ".coordination/local.env"


def resolve_hook_config(
    environ: Mapping[str, str], cwd: Path, fallback_roots: Iterable[Path] = ()
) -> HookConfig:
    """The configuration in effect for a hook running in `cwd` with `environ`.

    `fallback_roots` are checkouts whose `local.env` applies when none is found walking up
    from `cwd` (the main checkout, for a linked worktree).
    """
    local_env = _find(cwd, fallback_roots)
    from_file, warnings = _read(local_env)
    resolved = merge_local_env(_canonical(environ), _canonical(from_file), local_env)
    mode, mode_warning = _mode(_first_real("COORD_PREPUSH_MODE", (environ, from_file)))
    return HookConfig(
        api_url=(resolved.real("COORD_API_URL") or DEFAULT_API_URL).rstrip("/"),
        token=resolved.real("COORD_AUTH_TOKEN"),
        repo_id=resolved.real("COORD_REPO_ID"),
        branch=resolved.real("COORD_BRANCH"),
        user=resolved.real("COORD_USER"),
        prepush_mode=mode,
        local_env=local_env,
        configured=local_env is not None or _named_in(environ),
        warnings=(*warnings, *mode_warning),
    )


def _find(cwd: Path, fallback_roots: Iterable[Path]) -> Path | None:
    # A linked worktree lives outside the main checkout, so walking up from it never meets the
    # main checkout's file: the fallbacks cover that case.
    found = find_local_env(cwd)
    candidates = (root / LOCAL_ENV for root in fallback_roots)
    return found or next((path for path in candidates if path.is_file()), None)


def _read(local_env: Path | None) -> tuple[dict[str, str], list[str]]:
    if local_env is None:
        return {}, []
    try:
        return parse_local_env(local_env.read_text(encoding="utf-8")), []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"cannot read {local_env} ({exc}); using the environment only"]


def _canonical(source: Mapping[str, str]) -> dict[str, str]:
    """`source` under the preferred names only: each key's first real value among its aliases."""
    found = {key: _first_real(key, (source,)) for key in ALIASES}
    return {key: value for key, value in found.items() if value is not None}


def _first_real(key: str, sources: Iterable[Mapping[str, str]]) -> str | None:
    for source in sources:
        for name in ALIASES[key]:
            value = source.get(name)
            if not is_placeholder(value):
                return str(value).strip()
    return None


def _mode(value: str | None) -> tuple[PrePushMode, list[str]]:
    if value is None:
        return PrePushMode.ENFORCE, []
    try:
        return PrePushMode(value.lower()), []
    except ValueError:
        return PrePushMode.ENFORCE, [
            f"COORD_PREPUSH_MODE={value!r} is neither 'advise' nor 'enforce'; using enforce"
        ]


def _named_in(environ: Mapping[str, str]) -> bool:
    names = (*ALIASES["COORD_API_URL"], *ALIASES["COORD_AUTH_TOKEN"])
    return any(environ.get(name) for name in names)
