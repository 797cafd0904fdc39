"""A hook call loads only what one call needs: no httpx, no pydantic, no typed client.

Each probe is a fresh interpreter that imports the `coord-hook` entry point, runs its `main` on a
real call against a real service (an edit to claim, a push to check) and then reports which of
the heavy modules got imported on the way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hooks_support import Service, Workspace, local_env_for, make_workspace, payload

from coord_hooks._client import MAX_BATCH_PATTERNS, MAX_LIST_PAGES
from coord_hooks._shell_writes import MAX_ITEMS
from coord_hooks.claude import SESSION_ID_PATTERN
from coord_protocol import _base, claims, client, conflicts

HEAVY = ("httpx", "httpcore", "pydantic", "pydantic_core", "anyio", "asyncio", "importlib.metadata")
"""Modules (and their submodules) a hook call must not import."""

TYPED = ("coord_protocol.client", "coord_protocol.claims", "coord_protocol.conflicts")
"""coord-protocol's pydantic modules, which the typed client brings."""

PROBE = """
import json, sys
from coord_hooks.__main__ import main
status = main(sys.argv[2:])
heavy, typed = json.loads(sys.argv[1])
loaded = [m for m in sys.modules if m in typed or m.split(".")[0] in heavy or m in heavy]
sys.stderr.write("\\nPROBE " + json.dumps({"status": status, "loaded": sorted(loaded)}) + "\\n")
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def shop(tmp_path: Path, service: Service) -> Workspace:
    """Alice's checkout, wired to the service as `alice`."""
    workspace = make_workspace(tmp_path / "ws", {"src/auth.py": "def login():\n    pass\n"})
    workspace.write_local_env(**local_env_for(service))
    return workspace


def probe(
    shop: Workspace, stdin: str, *argv: str, heavy: tuple[str, ...] = HEAVY
) -> dict[str, Any]:
    """Run `main(argv)` in a fresh interpreter; its exit status and the heavy modules loaded."""
    command = [sys.executable, "-c", PROBE, json.dumps([heavy, TYPED]), *argv]
    done: subprocess.CompletedProcess[str] = shop.run(command, stdin=stdin)
    assert done.returncode == 0, done.stderr
    report = done.stderr.rpartition("\nPROBE ")[2]
    result: dict[str, Any] = json.loads(report)
    return result


def test_the_edit_guard_claims_over_the_stdlib_path(shop: Workspace, service: Service) -> None:
    edit = payload("pre_tool_use_edit", shop.clone)

    result = probe(shop, edit, "claude", "pre-tool-use")

    assert result == {"status": 0, "loaded": []}
    claimed = service.active(repo="shop/web")
    assert [(row["pattern"], row["engineer"]) for row in claimed] == [("src/auth.py", "alice")]


def test_the_pre_push_check_asks_over_the_stdlib_path(shop: Workspace, service: Service) -> None:
    service.claim("bob", "src/auth.py")
    old = shop.git("rev-parse", "HEAD").strip()
    new = shop.commit({"src/auth.py": "def login():\n    return 1\n"}, "change login")
    refs = f"refs/heads/main {new} refs/heads/main {old}\n"

    result = probe(shop, refs, "pre-push", "origin", "unused-url")

    assert result == {"status": 1, "loaded": []}  # blocked by bob's claim


def test_the_snapshot_before_a_shell_command_loads_no_http_client(
    shop: Workspace, service: Service
) -> None:
    before = payload("pre_tool_use_bash_sed", shop.clone)

    result = probe(shop, before, "claude", "pre-tool-use", heavy=(*HEAVY, "http", "ssl"))

    assert result == {"status": 0, "loaded": []}
    assert len(list((shop.clone / ".git" / "coord" / "bash").iterdir())) == 1


def test_the_commit_trailer_hook_asks_over_the_stdlib_path(
    shop: Workspace, service: Service
) -> None:
    service.claim("alice", "src/**")
    (shop.clone / "src" / "auth.py").write_text("x = 1\n", encoding="utf-8")
    shop.git("add", "-A")
    message = shop.clone / "message.txt"
    message.write_text("change\n", encoding="utf-8")

    result = probe(shop, "", "prepare-commit-msg", str(message), "message")

    assert result == {"status": 0, "loaded": []}
    assert "Coord-Claim: " in message.read_text(encoding="utf-8")


def test_copied_protocol_constants_stay_equal_to_the_protocol() -> None:
    assert SESSION_ID_PATTERN == _base.SESSION_ID_PATTERN
    assert MAX_BATCH_PATTERNS == conflicts.MAX_BATCH_PATTERNS
    assert MAX_LIST_PAGES == client.MAX_LIST_PAGES
    assert MAX_ITEMS == claims.MAX_ITEMS_PER_REQUEST
