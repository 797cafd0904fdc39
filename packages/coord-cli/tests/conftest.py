"""Fixtures for coord-cli tests: the installed `coord` script, a service it started, git repos.

The end-to-end tests run the console scripts installed beside the interpreter, as a new user
would, with `HOME` and `COORD_HOME` inside the test's temporary directory and no `COORD_*`
variable of the developer's environment. `cli_service` is a real `coord-api` started with
`coord start --background` on a free port and stopped with `coord stop` after the module.
`git_clone` builds a repository the way a team has one: a bare "origin", a clone with a commit,
and optionally a linked worktree.

Tests that need git skip when it is missing, unless `COORD_TEST_REQUIRE_ALL=1`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from coord_e2e import console_script, free_port, require_tool

COMMAND_TIMEOUT_SEC = 60.0


def scripts_dir() -> Path:
    """Where the workspace's console scripts (`coord`, `coord-hook`, ...) are installed."""
    return Path(console_script("coord")).parent


def user_env(root: Path) -> dict[str, str]:
    """A new user's environment: home and COORD_HOME under `root`, git configured, no COORD_*."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COORD_", "GIT_")) and key not in {"COLUMNS", "LINES"}
    }
    home = root / "user-home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        **inherited,
        "PATH": f"{scripts_dir()}{os.pathsep}{inherited.get('PATH', '')}",
        "HOME": str(home),
        "COORD_HOME": str(home / ".coord"),
        "COORD_NO_UPDATE_CHECK": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Alex Example",
        "GIT_AUTHOR_EMAIL": "alex@example.com",
        "GIT_COMMITTER_NAME": "Alex Example",
        "GIT_COMMITTER_EMAIL": "alex@example.com",
        "NO_COLOR": "1",
    }


def run(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str],
    stdin: str | None = None,
    timeout: float = COMMAND_TIMEOUT_SEC,
) -> subprocess.CompletedProcess[str]:
    """Run a command (an installed script by name) and capture its output as text."""
    executable = shutil.which(args[0], path=env.get("PATH")) or args[0]
    return subprocess.run(
        [executable, *args[1:]], cwd=cwd, env=dict(env), input=stdin, capture_output=True,
        text=True, timeout=timeout, check=False,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Clone:
    """A clone of a bare origin, with one commit pushed."""

    root: Path
    origin: Path


@dataclass(frozen=True, slots=True)
class User:
    """A person on a fresh machine account: their environment and a scratch directory."""

    env: dict[str, str]
    scratch: Path

    @property
    def home(self) -> Path:
        """Their COORD_HOME."""
        return Path(self.env["COORD_HOME"])

    def run(
        self, *args: str, cwd: Path | None = None, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run a command as this user (extra environment variables as keywords)."""
        return run(list(args), cwd or self.scratch, {**self.env, **env}, stdin)

    def coord(
        self, *args: str, cwd: Path | None = None, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed `coord`."""
        return self.run("coord", *args, cwd=cwd, stdin=stdin, **env)

    def git(self, cwd: Path, *args: str) -> str:
        """Run git; fails the test with git's stderr when it fails."""
        done = self.run(require_tool("git"), *args, cwd=cwd)
        assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def clone(self, name: str = "shop") -> Clone:
        """A bare `origin` and a clone of it with two files committed and pushed."""
        require_tool("git")
        base = self.scratch / "work"
        base.mkdir(exist_ok=True)
        origin = base / f"{name}-origin.git"
        root = base / name
        self.git(base, "init", "-q", "--bare", "-b", "main", str(origin))
        self.git(base, "clone", "-q", str(origin), str(root))
        (root / "README.md").write_text("# shop\n", encoding="utf-8")
        (root / "src").mkdir()
        (root / "src" / "app.py").write_text("def main():\n    return 1\n", encoding="utf-8")
        self.git(root, "add", "-A")
        self.git(root, "commit", "-q", "--no-gpg-sign", "-m", "first")
        self.git(root, "push", "-q", "origin", "HEAD:main")
        return Clone(root, origin)

    def worktree(self, clone: Clone, name: str = "shop-feature") -> Path:
        """A linked worktree of `clone` on a new branch, beside it."""
        path = clone.root.parent / name
        self.git(clone.root, "worktree", "add", "-q", "-b", name, str(path))
        return path


@dataclass(frozen=True, slots=True)
class Service:
    """A coord service started by `coord start --background` under a user's COORD_HOME."""

    user: User
    port: int

    @property
    def url(self) -> str:
        """Its API URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The operator token `coord start` generated."""
        return (self.user.home / "token").read_text(encoding="utf-8").strip()


def _start_service(user: User) -> Iterator[Service]:
    service = Service(user, free_port())
    started = user.coord("start", "--background", "--port", str(service.port))
    if started.returncode != 0:
        pytest.fail(f"coord start failed:\n{started.stdout}\n{started.stderr}")
    try:
        yield service
    finally:
        if user.coord("stop").returncode != 0:
            _kill_leftover(user.home)


def _kill_leftover(home: Path) -> None:
    try:
        pid = int((home / "coord-api.pid").read_text(encoding="utf-8"))
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        return


@pytest.fixture
def new_user(tmp_path: Path) -> User:
    """A user with an empty home: no COORD_HOME state, git configured as Alex."""
    return User(user_env(tmp_path), tmp_path)


@pytest.fixture(scope="module")
def cli_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service per test module, started and stopped through the CLI by its own user."""
    scratch = tmp_path_factory.mktemp("coord-user")
    yield from _start_service(User(user_env(scratch), scratch))


@pytest.fixture
def own_service(new_user: User) -> Iterator[Service]:
    """A service for one test alone, which may stop and restart it (`coord start` again)."""
    yield from _start_service(new_user)
