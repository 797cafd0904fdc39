"""Helpers of the hook tests, importable by name (pytest's `pythonpath` lists this directory).

`Workspace` builds what a new user has after `coord init`: a bare `origin`, a clone with
`.coordination/local.env`, the pre-push hook calling `coord-hook`, and linked worktrees on demand.
Every git and hook process runs with an environment that carries no `COORD_*` or git variable of
the test run itself. The `coord-api` servers are the workspace's end-to-end fixtures (root
`conftest.py`, helpers in `coord_e2e`), so that every suite starts servers the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from coord_e2e import TOKEN, console_script, require_tool

PAYLOADS = Path(__file__).parent.parent / "payloads"
"""Recorded Claude Code hook payloads."""

RECORDED_ROOT = "/home/dev/shop"
"""The checkout the payloads were recorded in; tests put their own checkout in its place."""

INSTALLED_HOOK = Path(__file__).resolve().parents[4] / "templates" / "git-hooks" / "pre-push"
"""The pre-push hook `coord init` installs."""

HOOK_SCRIPT = (
    INSTALLED_HOOK.read_text(encoding="utf-8")
    if INSTALLED_HOOK.is_file()
    else '#!/bin/sh\nexec coord-hook pre-push "$@"\n'
)
"""The pre-push hook as `coord init` installs it (its contract: `exec coord-hook pre-push "$@"`)."""


COMMIT_MSG_HOOK = INSTALLED_HOOK.parent / "prepare-commit-msg"
"""The prepare-commit-msg hook `coord init` installs beside pre-push."""


def require_git() -> str:
    """The path of git; skips without it unless `COORD_TEST_REQUIRE_ALL=1`."""
    return require_tool("git")


def hook_executable() -> Path:
    """The installed `coord-hook` console script."""
    return Path(console_script("coord-hook"))


def clean_environment(home: Path) -> dict[str, str]:
    """The environment of a new user's shell: no coord or git variables, git config isolated."""
    dropped = ("COORD_", "GIT_", "GITHUB_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    scripts = str(hook_executable().parent)
    env.update({
        "HOME": str(home),
        "PATH": scripts + os.pathsep + env.get("PATH", ""),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@shop.invalid",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@shop.invalid",
    })  # fmt: skip
    return env


@dataclass(slots=True)
class Workspace:
    """A bare `origin` and a clone of it, wired to a coord service as `coord init` would."""

    root: Path
    """Directory holding `origin.git`, the clone and any worktrees."""
    env: dict[str, str]
    """Environment of every git and hook process."""
    clone: Path = field(init=False)
    """The main checkout."""

    def __post_init__(self) -> None:
        self.clone = self.root / "shop"

    def git(self, *args: str, cwd: Path | None = None) -> str:
        """Run git; fails the test when it fails."""
        done = self.run(["git", *args], cwd=cwd)
        assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def run(
        self, argv: list[str], cwd: Path | None = None, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the workspace environment (plus `env`) and capture its output."""
        return subprocess.run(
            argv, cwd=cwd or self.clone, env={**self.env, **env}, input=stdin,
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip

    def commit(self, files: Mapping[str, str], message: str, cwd: Path | None = None) -> str:
        """Write `files`, commit them, and return the new commit id."""
        checkout = cwd or self.clone
        for path, text in files.items():
            target = checkout / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        self.git("add", "-A", cwd=checkout)
        self.git("commit", "-q", "--no-gpg-sign", "-m", message, cwd=checkout)
        return self.git("rev-parse", "HEAD", cwd=checkout).strip()

    def push(
        self, *args: str, cwd: Path | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """`git push ARGS` through the installed pre-push hook."""
        return self.run(["git", "push", *args], cwd=cwd, **env)

    def worktree(self, name: str, branch: str) -> Path:
        """A linked worktree of the clone on a new branch `branch`."""
        path = self.root / name
        self.git("worktree", "add", "-q", "-b", branch, str(path))
        return path

    def remote_id(self, ref: str) -> str | None:
        """The commit `ref` points at in origin, or None when origin has no such ref."""
        done = self.run(
            ["git", "rev-parse", "--verify", "--quiet", ref], cwd=self.root / "origin.git"
        )
        return done.stdout.strip() or None

    def install_commit_msg_hook(self) -> None:
        """Install the prepare-commit-msg hook as `coord init` does."""
        hook = self.clone / ".git" / "hooks" / "prepare-commit-msg"
        hook.write_text(COMMIT_MSG_HOOK.read_text(encoding="utf-8"), encoding="utf-8")
        hook.chmod(0o755)

    def trailers(self, rev: str = "HEAD") -> list[str]:
        """The `Coord-Claim` values of a commit, as `git interpret-trailers --parse` reads them."""
        message = self.git("log", "-1", "--format=%B", rev)
        parsed = self.run(["git", "interpret-trailers", "--parse"], stdin=message).stdout
        prefix = "Coord-Claim: "
        return [line[len(prefix) :] for line in parsed.splitlines() if line.startswith(prefix)]

    def write_local_env(self, **values: str) -> Path:
        """Write `.coordination/local.env` of the clone (gitignored, mode 0600)."""
        directory = self.clone / ".coordination"
        directory.mkdir(exist_ok=True)
        path = directory / "local.env"
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
        path.chmod(0o600)
        return path


def make_workspace(root: Path, files: Mapping[str, str]) -> Workspace:
    """A workspace whose origin's `main` holds `files`, with the pre-push hook installed."""
    require_git()
    root.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(root, clean_environment(root))
    workspace.git("init", "-q", "--bare", "-b", "main", str(root / "origin.git"), cwd=root)
    workspace.git("clone", "-q", str(root / "origin.git"), str(workspace.clone), cwd=root)
    workspace.git("checkout", "-q", "-b", "main")
    workspace.commit({".gitignore": "/.coordination/\n", **files}, "initial files")
    workspace.git("push", "-q", "-u", "origin", "main")
    hook = workspace.clone / ".git" / "hooks" / "pre-push"
    hook.write_text(HOOK_SCRIPT, encoding="utf-8")
    hook.chmod(0o755)
    return workspace


@dataclass(frozen=True, slots=True)
class Service:
    """The running `coord-api` of a test module, and an operator client for setting the scene."""

    base_url: str
    """`http://127.0.0.1:<port>`."""
    http: httpx.Client
    """Operator client."""

    def claim(self, engineer: str, pattern: str, **fields: Any) -> dict[str, Any]:
        """Claim `pattern` for `engineer` (repo `shop/web` unless given); the granted row."""
        body = {"engineer": engineer, "claims": [{"pattern": pattern, **fields.pop("spec", {})}]}
        response = self.http.post("/claims", json={"repo": "shop/web", **body, **fields})
        assert response.status_code == 200, response.text
        row: dict[str, Any] = response.json()["claims"][0]
        return row

    def active(self, **filters: str) -> list[dict[str, Any]]:
        """Active claims matching `filters` (every repo unless `repo` is given)."""
        params = {"all_repos": "true", **filters}
        response = self.http.get("/claims", params=params)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["claims"]
        return rows

    def release_all(self) -> None:
        """Release every active claim, so a test starts from an empty service."""
        ids = [row["id"] for row in self.active()]
        if ids:
            response = self.http.post("/claims/release", json={"claim_ids": ids})
            assert response.status_code == 200, response.text


def local_env_for(service: Service, user: str = "alice", **extra: str) -> dict[str, str]:
    """The `local.env` values `coord init` would write for `user`."""
    return {
        "COORD_API_URL": service.base_url,
        "COORD_AUTH_TOKEN": TOKEN,
        "COORD_REPO_ID": "shop/web",
        "COORD_USER": user,
        **extra,
    }


def payload(name: str, checkout: Path, **changes: Any) -> str:
    """The recorded payload `name`, moved into `checkout`, with top-level fields changed."""
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    recorded = json.loads(text.replace(RECORDED_ROOT, str(checkout)))
    return json.dumps({**recorded, **changes})
