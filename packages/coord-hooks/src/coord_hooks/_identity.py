"""Who the hooks act as, and which claims therefore count as the caller's own.

`COORD_USER` names the engineer (conventionally `person/tool/worktree`). Without it the hooks
derive one from git: the person alone for a push, `person/claude/<worktree>` for an agent's edits.
A claim is the caller's own when its engineer is the caller's, or lies beneath it (`alex` owns
`alex/claude/main`), the same rule per-engineer tokens follow (SPEC §13). So a person pushing as
`alex` is never blocked by the claims their own agents made while writing the commits.
"""

from __future__ import annotations

from collections.abc import Mapping

from coord_hooks._git import Git
from coord_hooks.config import HookConfig

UNKNOWN_PERSON = "unknown"
"""The person when neither COORD_USER, git's user.email/user.name, nor $USER says who it is."""


def person(git: Git, environ: Mapping[str, str]) -> str:
    """The person behind this checkout: the name part of the author email git records
    (`$GIT_AUTHOR_EMAIL`, else `user.email`, as `coord reconcile` and `coord claim` read it),
    else `user.name`, else `$USER`."""
    for email in (environ.get("GIT_AUTHOR_EMAIL"), git.config_value("user.email")):
        if email and email.partition("@")[0].strip():
            return email.partition("@")[0].strip()
    name = git.config_value("user.name")
    if name:
        return name
    return environ.get("USER") or environ.get("USERNAME") or UNKNOWN_PERSON


def pusher(config: HookConfig, git: Git, environ: Mapping[str, str]) -> str:
    """The engineer a push is checked for: `COORD_USER`, else the person."""
    return config.user or person(git, environ)


def agent(config: HookConfig, git: Git, environ: Mapping[str, str], tool: str) -> str:
    """The engineer an agent's edits are claimed for: `COORD_USER`, else `person/tool/worktree`."""
    if config.user:
        return config.user
    root = git.toplevel()
    worktree = root.name if root else "checkout"
    return f"{person(git, environ)}/{tool}/{worktree}"


def is_own(holder: str, engineer: str) -> bool:
    """Whether a claim held by `holder` is `engineer`'s own (the same, or beneath it)."""
    return holder == engineer or holder.startswith(engineer.rstrip("/") + "/")
