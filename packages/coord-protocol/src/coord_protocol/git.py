"""Running `git` as a reader of data: the one way every coord package starts a git process.

A checkout is written by agents, so its `.git/config` is untrusted input: `core.fsmonitor`,
`core.hooksPath` and friends name programs git would run as whoever asked. Every git process
coord starts therefore gets

- a minimal environment: `PATH`, `LANG`/`LC_ALL=C` (stable, parseable output) and nothing of the
  caller's `COORD_*` settings or secrets; `HOME` only when the user's own configuration is
  wanted (`user_config=True`, for questions like `user.email`);
- no system configuration, and no global configuration unless `user_config` is set;
- `core.fsmonitor=false` and `core.hooksPath=/dev/null` on the command line, which wins over
  every configuration file;
- a timeout.

Only the standard library is used, so a git hook stays fast and the pure engine, which imports
`coord_protocol.vocab`, never loads `subprocess` (this module is not re-exported by the package).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_SEC = 30.0
"""Upper bound on one git command unless the caller names another."""

SAFETY_OPTIONS = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")
"""Placed before the subcommand: a checkout's configuration cannot start a program through git."""

_KEPT_ALWAYS = ("PATH", "SYSTEMROOT", "TMPDIR")  # SYSTEMROOT: git on Windows needs it to start
_KEPT_FOR_USER_CONFIG = (
    "HOME",
    "XDG_CONFIG_HOME",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
)


class GitUnavailableError(RuntimeError):
    """git could not be started, or gave no answer within its timeout."""


@dataclass(frozen=True, slots=True)
class GitResult:
    """What one git process returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when git exited 0."""
        return self.returncode == 0

    def answer(self) -> str | None:
        """The trimmed stdout of a successful command, or None when it failed or printed nothing."""
        text = self.stdout.strip()
        return text if self.ok and text else None

    def last_error_line(self) -> str:
        """The last line git wrote to stderr (or the exit status), for error messages."""
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit status {self.returncode}"


def git_command(
    args: Sequence[str], *, keep_hooks_path: bool = False, executable: str = "git"
) -> list[str]:
    """The full command line: git, the safety options, then `args`.

    `keep_hooks_path` leaves `core.hooksPath` as configured; only a question about where hooks
    live (`rev-parse --git-path hooks`) needs the real value, and such a question runs no hook.
    """
    options = SAFETY_OPTIONS if not keep_hooks_path else SAFETY_OPTIONS[:2]
    return [executable, *options, *args]


def git_environment(
    *, user_config: bool = False, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a git process, built from scratch (see the module docstring)."""
    kept = _KEPT_ALWAYS + (_KEPT_FOR_USER_CONFIG if user_config else ())
    environment = {name: os.environ[name] for name in kept if name in os.environ}
    environment.update(
        LANG="C",
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        # A read must never take the index lock that an agent's own git command needs.
        GIT_OPTIONAL_LOCKS="0",
    )
    if not user_config:
        environment["GIT_CONFIG_GLOBAL"] = os.devnull
    environment.update(extra or {})
    return environment


def run_git(
    cwd: Path,
    *args: str,
    user_config: bool = False,
    keep_hooks_path: bool = False,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SEC,
) -> GitResult:
    """Run `git args...` in `cwd` and capture its output as text; never raises on a git failure.

    `env` adds variables (such as `GIT_INDEX_FILE`) to the minimal environment. Raises
    `GitUnavailableError` when git is missing or does not answer within `timeout` seconds.
    """
    command = git_command(args, keep_hooks_path=keep_hooks_path, executable=_executable())
    try:
        done = subprocess.run(  # noqa: S603 - git with fixed options, never a shell
            command, cwd=cwd, capture_output=True, text=True, errors="replace",
            timeout=timeout, check=False, env=git_environment(user_config=user_config, extra=env),
            input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise GitUnavailableError(
            f"`git {' '.join(args)}` gave no answer within {timeout:g} s"
        ) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitUnavailableError(f"`git {' '.join(args)}` could not run in {cwd}: {exc}") from exc
    return GitResult(done.returncode, done.stdout, done.stderr)


async def run_git_bytes(
    cwd: Path, *args: str, timeout: float = DEFAULT_TIMEOUT_SEC
) -> tuple[int, bytes, bytes]:
    """Like `run_git` without user configuration, for an event loop; output stays bytes.

    The process is killed when the timeout passes or the caller is cancelled.
    """
    # Imported here: asyncio costs a git hook ~20 ms of start-up it never uses.
    import asyncio  # noqa: PLC0415

    command = git_command(args, executable=_executable())
    try:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, env=git_environment(), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except OSError as exc:
        raise GitUnavailableError(f"cannot run git in {cwd}: {exc}") from exc
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        raise GitUnavailableError(
            f"`git {' '.join(args)}` gave no answer within {timeout:g} s"
        ) from None
    finally:
        if process.returncode is None:  # timed out, or the caller is shutting down
            process.kill()
            await process.wait()
    return process.returncode or 0, out, err


def _executable() -> str:
    found = shutil.which("git")
    if found is None:
        raise GitUnavailableError("git is not installed or not on PATH")
    return found
