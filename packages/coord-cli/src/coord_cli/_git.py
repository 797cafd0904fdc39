"""What `coord init` and `coord doctor` ask git, through the `git` command.

Paths come back absolute. In a linked worktree the checkout's top directory is the worktree,
while hooks live in the common git directory shared by every worktree (`--git-path hooks`,
which also honours `core.hooksPath`), so one hook serves them all.

Every command runs through `coord_protocol.git`: no `COORD_*` variable reaches git, and the
checkout's configuration cannot start a program (fsmonitor, hooks). The user's own global
configuration is read, since these are the user's questions about the user's checkout
(`url.<base>.insteadOf` shapes the origin, `core.excludesFile` what is ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from coord_cli.errors import CliError, ExitCode
from coord_protocol.git import GitResult, GitUnavailableError
from coord_protocol.git import run_git as _run_git

GIT_TIMEOUT_SEC = 15.0


@dataclass(frozen=True, slots=True)
class Checkout:
    """A git working tree and the git directories behind it."""

    top: Path
    """Top directory of this working tree (a linked worktree's own directory)."""
    common_dir: Path
    """The git directory shared by every worktree of the repository."""
    hooks_dir: Path
    """Where git looks for hooks of this repository."""

    @property
    def main_top(self) -> Path:
        """Top directory of the main working tree (the common dir's parent for `.git`)."""
        return self.common_dir.parent if self.common_dir.name == ".git" else self.top

    def run(self, *args: str) -> GitResult:
        """`git args...` in this working tree."""
        return run_git(self.top, *args)

    def ask(self, *args: str) -> str | None:
        """The trimmed output of a git query, or None when it fails or prints nothing."""
        return self.run(*args).answer()

    def origin_url(self) -> str | None:
        """`git remote get-url origin`, or None without an origin."""
        return self.ask("remote", "get-url", "origin")

    def config_value(self, key: str) -> str | None:
        """A git configuration value, or None."""
        return self.ask("config", "--get", key)

    def is_ignored(self, relative: str) -> bool:
        """Whether git ignores the path (relative to the top directory)."""
        return self.run("check-ignore", "-q", "--no-index", relative).returncode == 0

    def is_tracked(self, relative: str) -> bool:
        """Whether the path is in git's index."""
        return self.run("ls-files", "--error-unmatch", "--", relative).returncode == 0


def run_git(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    keep_hooks_path: bool = False,
) -> GitResult:
    """Run git with `args` in `cwd`; output captured as text, never raising on a git failure.

    `env` adds variables to git's minimal environment. A missing or hung git is a `CliError`.
    """
    try:
        return _run_git(
            cwd, *args, user_config=True, keep_hooks_path=keep_hooks_path, env=env,
            stdin=stdin, timeout=GIT_TIMEOUT_SEC,
        )  # fmt: skip
    except GitUnavailableError as exc:
        raise CliError(str(exc), "install git, or check that it works in that directory",
                       ExitCode.NOT_CONFIGURED) from exc  # fmt: skip


def find_checkout(cwd: Path) -> Checkout | None:
    """The checkout containing `cwd`, or None outside one (or in a bare repository)."""
    top = _ask(cwd, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    top_path = Path(top)
    common = _ask(top_path, "rev-parse", "--git-common-dir")
    hooks = _ask(top_path, "rev-parse", "--git-path", "hooks", keep_hooks_path=True)
    if common is None or hooks is None:
        return None
    return Checkout(top_path, _absolute(top_path, common), _absolute(top_path, hooks))


def require_checkout(cwd: Path) -> Checkout:
    """The checkout containing `cwd`; a clear error outside one."""
    checkout = find_checkout(cwd)
    if checkout is None:
        raise CliError(
            f"{cwd} is not inside a git checkout",
            "cd into the repository to wire (or `git init` it first)",
            ExitCode.NOT_CONFIGURED,
        )
    return checkout


def _ask(cwd: Path, *args: str, keep_hooks_path: bool = False) -> str | None:
    return run_git(cwd, *args, keep_hooks_path=keep_hooks_path).answer()


def _absolute(base: Path, reported: str) -> Path:
    path = Path(reported)
    return (path if path.is_absolute() else base / path).resolve()
