"""The newcomer's path, played as a new user would: a fresh HOME, the README's commands, in order.

The install command of docs/cli.md puts `coord`, `coord-mcp` and `coord-hook` into a temporary
uv tool directory (from this clone, offline, out of uv's cache); everything after it runs those
three commands from there, in a fresh git repository, with nothing else on PATH but git and uv.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from coord_e2e import free_port, require_tool

from coord_cli.install import INSTALL_COMMAND

pytestmark = pytest.mark.slow

CLONE = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT_SEC = 600
COMMAND_TIMEOUT_SEC = 120
SHOP = {
    "src/cart.py": "def add_item(cart, item):\n    return cart\n\n\n"
    "def remove_item(cart):\n    pass\n",
    "src/pay.py": "def charge(amount):\n    return amount\n",
}


@dataclass(frozen=True)
class Machine:
    """A fresh user account: its HOME, and PATH holding the installed tools, git and uv."""

    home: Path
    bin_dir: Path
    env: dict[str, str]

    def run(
        self, *command: str, cwd: Path, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command), cwd=cwd, env=self.env, capture_output=True, text=True, input=stdin,
            timeout=COMMAND_TIMEOUT_SEC, check=False,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )  # fmt: skip

    def ok(self, *command: str, cwd: Path) -> str:
        done = self.run(*command, cwd=cwd)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    """A fresh HOME with the three commands installed by the documented command."""
    uv, git = require_tool("uv"), require_tool("git")
    cache = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True)
    root = tmp_path_factory.mktemp("newcomer")
    home, bin_dir = root / "home", root / "tool-bin"
    home.mkdir()
    search = [str(bin_dir), str(Path(uv).parent), str(Path(git).parent), "/usr/bin", "/bin"]
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join(dict.fromkeys(search)),
        "LANG": "C.UTF-8",
        "COLUMNS": "100",
        "COORD_NO_UPDATE_CHECK": "1",
        "UV_TOOL_DIR": str(root / "tools"),
        "UV_TOOL_BIN_DIR": str(bin_dir),
        "UV_CACHE_DIR": cache.stdout.strip(),
        "UV_OFFLINE": "1",  # no network beyond loopback: uv's cache holds every dependency
        "GIT_CONFIG_NOSYSTEM": "1",
        **{k: v for k, v in os.environ.items() if k.startswith(("PYENV", "UV_PYTHON"))},
    }
    installed = subprocess.run(
        shlex.split(INSTALL_COMMAND), cwd=CLONE, env=env, capture_output=True, text=True,
        timeout=INSTALL_TIMEOUT_SEC, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    stderr = installed.stderr.lower()
    if installed.returncode != 0 and ("offline" in stderr or "network was disabled" in stderr):
        # `uv sync --frozen` fills the cache from the lock's URLs, not with the index pages a
        # tool install resolves against; tests may not reach PyPI to fetch them.
        pytest.skip(f"uv's cache lacks a dependency and the network is off: {installed.stderr}")
    assert installed.returncode == 0, installed.stderr
    found = {
        name: shutil.which(name, path=env["PATH"]) for name in ("coord", "coord-mcp", "coord-hook")
    }
    assert found == {name: str(bin_dir / name) for name in found}
    machine = Machine(home, bin_dir, env)
    yield machine
    machine.run("coord", "stop", cwd=home)


def fresh_repo(machine: Machine, name: str, files: dict[str, str]) -> Path:
    """A git repository with `files` committed, an origin naming `acme/<name>`, a bare remote."""
    bare = machine.home / f"{name}.git"
    machine.ok("git", "init", "-q", "--bare", str(bare), cwd=machine.home)
    repo = machine.home / name
    machine.ok("git", "init", "-q", "-b", "main", str(repo), cwd=machine.home)
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text, encoding="utf-8")
    for step in (
        ["config", "user.email", "alex@example.com"],
        ["config", "user.name", "Alex"],
        ["remote", "add", "origin", f"https://github.com/acme/{name}.git"],
        ["config", "remote.origin.pushurl", str(bare)],  # fetch URL names the repo; push is local
        ["add", "-A"],
        ["commit", "-q", "-m", "first"],
        ["push", "-q", "origin", "main"],
    ):
        machine.ok("git", *step, cwd=repo)
    return repo


def test_the_three_commands_run_from_the_tool_directory(machine: Machine) -> None:
    repo = fresh_repo(machine, "tools", {"README.md": "# tools\n"})
    assert machine.ok("coord", "--version", cwd=repo).strip()
    assert "pre-push" in machine.ok("coord-hook", "--help", cwd=repo)
    hello = json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "newcomer-test", "version": "0"}},
    })  # fmt: skip
    answer = machine.run("coord-mcp", cwd=repo, stdin=hello + "\n")
    first = json.loads(answer.stdout.splitlines()[0])
    assert first["id"] == 1 and first["result"]["serverInfo"]["name"], answer.stderr


def test_from_a_clone_to_a_wired_repo_with_nothing_to_guess(machine: Machine) -> None:
    port = free_port()
    started = machine.ok("coord", "start", "--background", "--port", str(port), cwd=machine.home)
    token = (machine.home / ".coord" / "token").read_text(encoding="utf-8").strip()
    assert f"export COORD_AUTH_TOKEN={token}" in started
    assert "Checkouts:" in started and "coord init --mode local" in started

    shop = fresh_repo(machine, "shop", SHOP)
    wired = machine.ok("coord", "init", "--tool", "claude", "--mode", "local", "--yes", cwd=shop)
    assert "registered this checkout for acme/shop" in wired
    machine.ok("git", "add", "-A", cwd=shop)
    machine.ok("git", "commit", "-q", "-m", "Wire coord", cwd=shop)

    doctor = machine.run("coord", "doctor", cwd=shop)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "FAIL" not in doctor.stdout and "WARN" not in doctor.stdout, doctor.stdout
    status = machine.ok("coord", "status", cwd=shop)
    assert f"acme/shop -> {shop.resolve()} (registered)" in status
    assert f"export COORD_AUTH_TOKEN={token}" in status

    api = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    )
    with api:
        typo = api.post("/claims", json={
            "engineer": "alex/claude/main", "repo": "acme/shop",
            "claims": [{"pattern": "src/cart.py", "symbols": ["add_itme"]}],
        })  # fmt: skip
        assert typo.status_code == 400, typo.text
        assert "add_item" in typo.json()["detail"] and "remove_item" in typo.json()["detail"]
        held = api.post("/claims", json={
            "engineer": "bo/codex/main", "repo": "acme/shop", "description": "new \x1b[2J rates",
            "claims": [{"pattern": "src/pay.py"}],
        })  # fmt: skip
        if held.status_code == 400:  # control characters refused at intake: send it plain
            held = api.post("/claims", json={
                "engineer": "bo/codex/main", "repo": "acme/shop", "description": "new rates",
                "claims": [{"pattern": "src/pay.py"}],
            })  # fmt: skip
        assert held.status_code == 200, held.text

    (shop / "src" / "pay.py").write_text("def charge(amount):\n    return amount * 2\n")
    machine.ok("git", "commit", "-q", "-am", "Double the charge", cwd=shop)
    pushed = machine.run("git", "push", "origin", "main", cwd=shop)
    assert pushed.returncode != 0, pushed.stdout + pushed.stderr
    assert "push blocked" in pushed.stderr and "bo/codex/main" in pushed.stderr, pushed.stderr
    assert "new" in pushed.stderr and "rates" in pushed.stderr
    assert "\x1b" not in pushed.stderr

    stopped = machine.ok("coord", "stop", cwd=shop)
    assert stopped.startswith("Stopped coord")
