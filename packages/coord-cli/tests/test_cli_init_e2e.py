"""`coord init` and `coord doctor` in real git repositories, against a service from `coord start`.

Each repository is a clone of a bare "origin" with a commit; some tests add a linked worktree.
Everything runs through the installed console scripts, as a new user would.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import stat
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from coord_protocol.local_env import parse_local_env

if TYPE_CHECKING:
    from conftest import Clone, Service, User

pytestmark = pytest.mark.slow

TRACKED = {
    "claude": {".gitignore", ".mcp.json", "CLAUDE.md", ".claude/settings.json"},
    "codex": {".gitignore", ".codex/config.toml", "AGENTS.md"},
    "cursor": {".gitignore", ".cursor/mcp.json", ".cursor/rules/coord.mdc"},
}


def _changed_paths(user: User, root: Path) -> set[str]:
    status = user.git(root, "status", "--porcelain", "--untracked-files=all")
    return {line[3:] for line in status.splitlines()}


def _snapshot(root: Path, hooks: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the checkout outside .git, and the hooks, with their permission bits."""
    files = [p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts]
    files += [p for p in hooks.iterdir() if not p.name.endswith(".sample")]
    return {str(p): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in files}


def _init(user: User, cwd: Path, *args: str, **env: str) -> str:
    done = user.coord("init", *args, "--yes", cwd=cwd, **env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("tool", ["claude", "codex", "cursor"])
def test_init_writes_exactly_the_tracked_templates_and_keeps_secrets_out(
    cli_service: Service, tool: str
) -> None:
    user = cli_service.user
    clone = user.clone(f"shop-{tool}")

    _init(user, clone.root, "--tool", tool, "--mode", "local")

    changed = _changed_paths(user, clone.root)
    assert changed == TRACKED[tool]
    token = cli_service.token
    for path in changed:
        text = (clone.root / path).read_text(encoding="utf-8")
        assert token not in text
        assert "set-me" in text or path not in {".mcp.json", ".cursor/mcp.json"}
    local_env = clone.root / ".coordination" / "local.env"
    values = parse_local_env(local_env.read_text(encoding="utf-8"))
    assert values["COORD_API_URL"] == cli_service.url
    assert values["COORD_AUTH_TOKEN"] == token
    assert values["COORD_REPO_ID"] == f"shop-{tool}"  # origin is a local path: the directory name
    assert stat.S_IMODE(local_env.stat().st_mode) == 0o600
    hook = clone.root / ".git" / "hooks" / "pre-push"
    assert os.access(hook, os.X_OK)
    assert "exec coord-hook pre-push" in hook.read_text(encoding="utf-8")

    doctor = user.coord("doctor", cwd=clone.root)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "FAIL" not in doctor.stdout
    assert "WARN" not in doctor.stdout
    assert doctor.stdout.rstrip().endswith("checks passed.")


def test_a_second_init_changes_nothing(cli_service: Service) -> None:
    user = cli_service.user
    clone = user.clone("shop-twice")
    _init(user, clone.root, "--tool", "claude")
    hooks = clone.root / ".git" / "hooks"
    before = _snapshot(clone.root, hooks)

    second = _init(user, clone.root, "--tool", "claude")

    assert _snapshot(clone.root, hooks) == before
    *listing, registered = second.split("Next:")[0].splitlines()[1:]
    assert registered.startswith("  registered this checkout for ")
    assert len(listing) == 9
    assert {line.split()[0] for line in listing} == {"unchanged"}
    assert "git add" not in second


def test_an_edited_block_is_replaced_and_text_around_it_kept(cli_service: Service) -> None:
    user = cli_service.user
    clone = user.clone("shop-edits")
    claude_md = clone.root / "CLAUDE.md"
    claude_md.write_text("# Shop\n\nOur own rules.\n", encoding="utf-8")
    (clone.root / ".gitignore").write_text("node_modules/\n", encoding="utf-8")
    settings = clone.root / ".claude" / "settings.json"
    settings.parent.mkdir()
    theirs = {
        "permissions": {"allow": ["Bash(npm test)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]}]
        },
    }
    settings.write_text(json.dumps(theirs), encoding="utf-8")
    _init(user, clone.root, "--tool", "claude")
    wired = claude_md.read_text(encoding="utf-8")
    assert wired.startswith("# Shop\n\nOur own rules.\n\n<!-- coord:begin")
    block = wired[len("# Shop\n\nOur own rules.\n\n") :]

    claude_md.write_text(
        wired.replace("Claim before you edit.", "Edit whatever you like.") + "\nAfter the block.\n",
        encoding="utf-8",
    )
    _init(user, clone.root, "--tool", "claude")

    assert claude_md.read_text(encoding="utf-8") == (
        "# Shop\n\nOur own rules.\n\n" + block + "\nAfter the block.\n"
    )
    assert (clone.root / ".gitignore").read_text(encoding="utf-8").startswith("node_modules/\n\n")
    merged = json.loads(settings.read_text(encoding="utf-8"))
    assert merged["permissions"] == theirs["permissions"]
    pre_tool = merged["hooks"]["PreToolUse"]
    assert pre_tool[0] == theirs["hooks"]["PreToolUse"][0]
    assert pre_tool[1]["matcher"] == "Edit|Write|MultiEdit"
    assert pre_tool[1]["hooks"][0]["command"] == "coord-hook claude pre-tool-use"
    assert (
        merged["hooks"]["SessionEnd"][0]["hooks"][0]["command"] == "coord-hook claude session-end"
    )


def test_a_foreign_pre_push_hook_is_kept_unless_forced(cli_service: Service) -> None:
    user = cli_service.user
    clone = user.clone("shop-hooked")
    hook = clone.root / ".git" / "hooks" / "pre-push"
    theirs = "#!/bin/sh\necho their checks\n"
    hook.write_text(theirs, encoding="utf-8")
    hook.chmod(0o755)

    kept = user.coord("init", "--tool", "codex", "--yes", cwd=clone.root)
    assert kept.returncode == 0, kept.stderr
    assert hook.read_text(encoding="utf-8") == theirs
    assert "another pre-push hook is installed" in kept.stderr
    doctor = user.coord("doctor", cwd=clone.root)
    assert "WARN pre-push hook" in doctor.stdout

    _init(user, clone.root, "--tool", "codex", "--force")
    assert "exec coord-hook pre-push" in hook.read_text(encoding="utf-8")
    backup = hook.with_name("pre-push.coord-backup")
    assert backup.read_text(encoding="utf-8") == theirs


def test_a_foreign_prepare_commit_msg_hook_is_kept_unless_forced(cli_service: Service) -> None:
    user = cli_service.user
    clone = user.clone("shop-trailers")
    hook = clone.root / ".git" / "hooks" / "prepare-commit-msg"
    theirs = "#!/bin/sh\necho 'Ticket: ABC-1' >> \"$1\"\n"
    hook.write_text(theirs, encoding="utf-8")
    hook.chmod(0o755)

    kept = user.coord("init", "--tool", "claude", "--yes", cwd=clone.root)
    assert kept.returncode == 0, kept.stderr
    assert hook.read_text(encoding="utf-8") == theirs
    assert "another prepare-commit-msg hook is installed" in kept.stderr
    assert "WARN prepare-commit-msg hook" in user.coord("doctor", cwd=clone.root).stdout

    _init(user, clone.root, "--tool", "claude", "--force")
    assert "exec coord-hook prepare-commit-msg" in hook.read_text(encoding="utf-8")
    assert hook.with_name("prepare-commit-msg.coord-backup").read_text("utf-8") == theirs
    assert "OK   prepare-commit-msg hook" in user.coord("doctor", cwd=clone.root).stdout


def test_linked_worktree_is_wired_and_the_hook_guards_its_pushes(cli_service: Service) -> None:
    user = cli_service.user
    clone = user.clone("shop")
    _init(user, clone.root, "--tool", "claude")
    claimed = user.coord("claim", "--from-worktree", cwd=clone.root)  # pushes need claims
    assert claimed.returncode == 0, claimed.stdout + claimed.stderr
    user.git(clone.root, "add", "-A")
    user.git(clone.root, "commit", "-q", "--no-gpg-sign", "-m", "Wire coord")
    assert "Coord-Claim: " in user.git(clone.root, "log", "-1", "--format=%B")
    user.git(clone.root, "push", "-q", "origin", "HEAD:main")
    hook = clone.root / ".git" / "hooks" / "pre-push"
    hook_before = hook.read_bytes()
    worktree = user.worktree(clone)

    _init(user, worktree, "--tool", "claude")

    assert _changed_paths(user, worktree) == set()  # tracked wiring came with the commit
    assert hook.read_bytes() == hook_before
    values = parse_local_env((worktree / ".coordination" / "local.env").read_text("utf-8"))
    assert values["COORD_REPO_ID"] == "shop"  # the same repo id as the main checkout
    live = user.coord("doctor", "--live", cwd=worktree)
    assert live.returncode == 0, live.stdout + live.stderr
    assert "OK   live hook " in live.stdout
    assert "OK   live hook release" in live.stdout
    _push_is_refused_while_claimed(cli_service, worktree)


def _push_is_refused_while_claimed(service: Service, worktree: Path) -> None:
    user = service.user
    auth = {"Authorization": f"Bearer {service.token}"}
    body = {"engineer": "bob/codex/main", "repo": "shop", "claims": [{"pattern": "src/app.py"}]}
    granted = httpx.post(f"{service.url}/claims", json=body, headers=auth)
    assert granted.status_code == 200, granted.text
    (worktree / "src" / "app.py").write_text("def main():\n    return 2\n", encoding="utf-8")
    user.git(worktree, "commit", "-q", "--no-gpg-sign", "-am", "change app")

    refused = user.run("git", "push", "-q", "origin", "HEAD", cwd=worktree)
    assert refused.returncode != 0
    assert "bob/codex/main" in refused.stdout + refused.stderr

    released = user.coord("release", granted.json()["claim_ids"][0])
    assert released.returncode == 0, released.stderr
    claimed = user.coord("claim", "src/app.py", cwd=worktree)  # edited without a claim so far
    assert claimed.returncode == 0, claimed.stdout + claimed.stderr
    allowed = user.run("git", "push", "-q", "origin", "HEAD", cwd=worktree)
    assert allowed.returncode == 0, allowed.stderr


def test_remote_mode_takes_the_token_from_the_environment(cli_service: Service) -> None:
    user = cli_service.user
    clone = user.clone("shop-remote")
    done = user.coord(
        "init", "--tool", "cursor", "--mode", "remote", "--service-url", f"{cli_service.url}/",
        "--yes", "--json", cwd=clone.root, COORD_AUTH_TOKEN=cli_service.token,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["mode"] == "remote"
    assert report["service_url"] == cli_service.url
    assert cli_service.token not in done.stdout
    assert set(report["to_commit"]) == TRACKED["cursor"]
    values = parse_local_env((clone.root / ".coordination" / "local.env").read_text("utf-8"))
    assert values["COORD_AUTH_TOKEN"] == cli_service.token
    config = (clone.root / ".coordination" / "config.toml").read_text(encoding="utf-8")
    assert 'mode = "remote"' in config
    assert 'tools = ["cursor"]' in config
    # A later run for another tool keeps the remote service and its token.
    _init(user, clone.root, "--tool", "claude")
    assert 'tools = ["claude", "cursor"]' in (
        clone.root / ".coordination" / "config.toml"
    ).read_text(encoding="utf-8")
    again = parse_local_env((clone.root / ".coordination" / "local.env").read_text("utf-8"))
    assert again["COORD_AUTH_TOKEN"] == cli_service.token
    assert user.coord("doctor", cwd=clone.root).returncode == 0


def test_remote_mode_without_a_token_says_what_to_fill_in(new_user: User) -> None:
    clone = new_user.clone()
    done = new_user.coord(
        "init", "--tool", "codex", "--mode", "remote", "--service-url", "http://127.0.0.1:9",
        "--yes", cwd=clone.root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "no token yet: set COORD_AUTH_TOKEN in .coordination/local.env" in done.stderr
    doctor = new_user.coord("doctor", cwd=clone.root)
    assert doctor.returncode == 1
    assert "FAIL local.env" in doctor.stdout
    assert "FAIL service" in doctor.stdout
    assert "fix: start it with `coord start --background`" in doctor.stdout


def test_init_explains_what_is_missing(new_user: User, tmp_path: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    no_repo = new_user.coord("init", "--tool", "claude", "--yes", cwd=outside)
    assert no_repo.returncode == 3
    assert no_repo.stderr == (
        f"coord: {outside} is not inside a git checkout\n"
        "  fix: cd into the repository to wire (or `git init` it first)\n"
    )
    clone: Clone = new_user.clone()
    no_tool = new_user.coord("init", cwd=clone.root)
    assert no_tool.returncode == 2
    assert "pass --tool claude, --tool codex or --tool cursor" in no_tool.stderr
    no_url = new_user.coord("init", "--tool", "claude", "--mode", "remote", "--yes", cwd=clone.root)
    assert no_url.returncode == 2
    assert "--mode remote needs the service's URL" in no_url.stderr
    assert _changed_paths(new_user, clone.root) == set()


def test_without_a_terminal_nothing_is_asked(new_user: User) -> None:
    clone = new_user.clone()
    done = new_user.coord("init", "--tool", "codex", cwd=clone.root)  # no --yes, stdin not a tty
    assert done.returncode == 0, done.stderr
    assert "Go ahead?" not in done.stdout + done.stderr
    assert _changed_paths(new_user, clone.root) == TRACKED["codex"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pseudo-terminal")
def test_on_a_terminal_init_asks_for_the_tool_the_token_and_a_go_ahead(new_user: User) -> None:
    clone = new_user.clone()
    session = _Terminal(
        [shutil.which("coord", path=new_user.env["PATH"]) or "coord", "init", "--mode", "remote",
         "--service-url", "http://127.0.0.1:9"],
        clone.root, new_user.env,
    )  # fmt: skip
    session.answer("[claude]: ", "cursor")
    session.answer("later): ", "typed-token", hidden=True)
    session.answer("Go ahead? [Y/n]: ", "y")
    output = session.finish()
    assert "create  .cursor/rules/coord.mdc" in output
    assert "typed-token" not in output
    values = parse_local_env((clone.root / ".coordination" / "local.env").read_text("utf-8"))
    assert values["COORD_AUTH_TOKEN"] == "typed-token"


class _Terminal:
    """A command on a pseudo-terminal, answered prompt by prompt, each wait with a deadline."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the command
            os.chdir(cwd)
            os.execve(argv[0], argv, env)
        self.output = b""

    def answer(self, prompt: str, reply: str, hidden: bool = False) -> None:
        self._read_until(lambda: self.output.rstrip().endswith(prompt.rstrip().encode()))
        if hidden:  # getpass flushes input typed before it turns echo off: wait for that
            self._read_until(lambda: not termios.tcgetattr(self.fd)[3] & termios.ECHO)
        os.write(self.fd, reply.encode() + b"\r")

    def finish(self) -> str:
        self._read_until(lambda: False, until_exit=True)
        _, status = os.waitpid(self.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, self.output.decode(errors="replace")
        return self.output.decode(errors="replace")

    def _read_until(self, done: Callable[[], bool], until_exit: bool = False) -> None:
        deadline = time.monotonic() + 30
        while not done():
            assert time.monotonic() < deadline, f"no prompt; output so far: {self.output!r}"
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the command exited and closed the terminal
                    chunk = b""
                if not chunk:
                    assert until_exit, f"exited early: {self.output!r}"
                    return
                self.output += chunk
