"""The two facts coord-mcp asks git: the current branch and the checkout's root."""

from __future__ import annotations

import logging
from pathlib import Path

from coord_protocol.git import GitUnavailableError, run_git

logger = logging.getLogger("coord_mcp.git")

GIT_TIMEOUT_SEC = 5.0


def current_branch(cwd: Path) -> str | None:
    """The checked-out branch at `cwd`; None when detached, outside a checkout or without git."""
    branch = _ask(cwd, "rev-parse", "--abbrev-ref", "HEAD")
    return None if branch in (None, "HEAD") else branch


def checkout_root(cwd: Path) -> Path | None:
    """The top directory of the checkout containing `cwd`, or None."""
    root = _ask(cwd, "rev-parse", "--show-toplevel")
    return Path(root) if root else None


def _ask(cwd: Path, *args: str) -> str | None:
    # Through coord_protocol.git: the bridge's token stays out of git's environment, and the
    # checkout's configuration cannot start a program.
    try:
        return run_git(cwd, *args, timeout=GIT_TIMEOUT_SEC).answer()
    except GitUnavailableError as exc:
        logger.debug("git %s failed at %s: %s", " ".join(args), cwd, exc)
        return None
