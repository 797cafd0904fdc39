"""The two facts coord-mcp asks git: the current branch and the checkout's root."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

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
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            ["git", *args],  # noqa: S607 - git is looked up on PATH on purpose
            cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_SEC, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("git %s failed at %s: %s", " ".join(args), cwd, exc)
        return None
    answer = done.stdout.strip()
    return answer if done.returncode == 0 and answer else None
