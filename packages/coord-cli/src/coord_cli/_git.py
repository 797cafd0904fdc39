"""What `coord init` and `coord doctor` ask git, through the `git` command.

Paths come back absolute. In a linked worktree the checkout's top directory is the worktree,
while hooks live in the common git directory shared by every worktree (`--git-path hooks`,
which also honours `core.hooksPath`), so one hook serves them all.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from coord_cli.errors import CliError, ExitCode

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

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`git args...` in this working tree."""
        return run_git(self.top, *args)

    def ask(self, *args: str) -> str | None:
        """The trimmed output of a git query, or None when it fails or prints nothing."""
        done = self.run(*args)
        answer = done.stdout.strip()
        return answer if done.returncode == 0 and answer else None

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


def git_executable() -> str:
    """The `git` on PATH; a clear error without one."""
    found = shutil.which("git")
    if found is None:
        raise CliError(
            "git is not installed or not on PATH", "install git", ExitCode.NOT_CONFIGURED
        )
    return found


def run_git(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git with `args` in `cwd`; output captured as text, never raising on failure."""
    try:
        return subprocess.run(  # noqa: S603 - git with fixed arguments, no shell
            [git_executable(), *args], cwd=cwd, capture_output=True, text=True,
            timeout=GIT_TIMEOUT_SEC, check=False, env=None if env is None else dict(env),
            input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise CliError(
            f"git {' '.join(args)} failed in {cwd}: {exc}", "check git works there"
        ) from exc


def find_checkout(cwd: Path) -> Checkout | None:
    """The checkout containing `cwd`, or None outside one (or in a bare repository)."""
    top = _ask(cwd, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    top_path = Path(top)
    common = _ask(top_path, "rev-parse", "--git-common-dir")
    hooks = _ask(top_path, "rev-parse", "--git-path", "hooks")
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


def _ask(cwd: Path, *args: str) -> str | None:
    done = run_git(cwd, *args)
    answer = done.stdout.strip()
    return answer if done.returncode == 0 and answer else None


def _absolute(base: Path, reported: str) -> Path:
    path = Path(reported)
    return (path if path.is_absolute() else base / path).resolve()
