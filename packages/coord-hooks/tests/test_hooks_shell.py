"""Shell writes attributed: the Bash hooks with recorded Claude Code payloads, a real service.

Each test runs what Claude Code runs around a Bash call: the installed `coord-hook claude
pre-tool-use` with the recorded PreToolUse payload, the command itself (`sh -c`, in the
checkout), then `coord-hook claude post-tool-use` with the recorded PostToolUse payload.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hooks_support import Service, Workspace, local_env_for, make_workspace, payload

pytestmark = pytest.mark.slow

SESSION = "6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f"
FILES = {"src/auth.py": "def login(user):\n    return user\n", "README.md": "# Shop\n"}


@pytest.fixture
def shop(tmp_path: Path, service: Service) -> Workspace:
    """Alice's checkout, wired to the service as `alice`."""
    workspace = make_workspace(tmp_path / "ws", FILES)
    workspace.write_local_env(**local_env_for(service))
    return workspace


def around(shop: Workspace, recorded: str) -> subprocess.CompletedProcess[str]:
    """PreToolUse, the recorded command, PostToolUse; the PostToolUse hook's result."""
    before = json.loads(payload(f"pre_tool_use_{recorded}", shop.clone))
    started = shop.run(["coord-hook", "claude", "pre-tool-use"], stdin=json.dumps(before))
    assert (started.returncode, started.stdout) == (0, ""), started.stderr
    ran = shop.run(["sh", "-c", before["tool_input"]["command"]])
    assert ran.returncode == 0, ran.stderr
    after = payload(f"post_tool_use_{recorded}", shop.clone)
    return shop.run(["coord-hook", "claude", "post-tool-use"], stdin=after)


def output_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_command_rewriting_a_free_file_claims_it(shop: Workspace, service: Service) -> None:
    done = around(shop, "bash_sed")

    context = output_of(done)["hookSpecificOutput"]["additionalContext"]
    assert "src/auth.py (modified)" in context and "claimed for this session" in context
    claims = service.active(session_id=SESSION)
    assert [(c["pattern"], c["engineer"]) for c in claims] == [("src/auth.py", "alice")]
    assert not list((shop.clone / ".git" / "coord" / "bash").iterdir())  # snapshot collected


def test_a_file_already_held_by_the_session_is_not_claimed_again(
    shop: Workspace, service: Service
) -> None:
    service.claim("alice", "src/**", session_id=SESSION)

    done = around(shop, "bash_sed")

    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert [c["pattern"] for c in service.active(session_id=SESSION)] == ["src/**"]


def test_a_command_rewriting_a_file_another_engineer_holds_names_the_holder(
    shop: Workspace, service: Service
) -> None:
    held = service.claim("bob/claude/main", "src/auth.py", description="login rework")

    done = around(shop, "bash_sed")

    output = output_of(done)
    assert output["decision"] == "block"
    reason = output["reason"]
    assert "src/auth.py (modified)" in reason
    assert "bob/claude/main" in reason and held["id"] in reason and "login rework" in reason
    assert "git checkout -- src/auth.py" in reason
    assert f'request_release(claim_id="{held["id"]}"' in reason
    assert 'claim_files(patterns=["src/auth.py"], wait_seconds=300)' in reason
    assert service.active(session_id=SESSION) == []


def test_a_read_only_command_claims_nothing(shop: Workspace, service: Service) -> None:
    (shop.clone / "README.md").write_text("# Shop\nedited before\n", encoding="utf-8")

    done = around(shop, "bash_read")

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert service.active() == []


def test_with_the_service_down_the_hooks_exit_0_and_claim_nothing(
    shop: Workspace, service: Service, dead_url: str
) -> None:
    shop.write_local_env(**{**local_env_for(service), "COORD_API_URL": dead_url})

    done = around(shop, "bash_sed")

    output = output_of(done)
    assert "unreachable" in output["systemMessage"]
    assert "src/auth.py" in output["systemMessage"] and "not claimed" in output["systemMessage"]
    assert "decision" not in output and "hookSpecificOutput" not in output
    assert service.active() == []


def test_a_post_tool_use_without_its_snapshot_says_nothing(
    shop: Workspace, service: Service
) -> None:
    after = payload("post_tool_use_bash_sed", shop.clone)
    (shop.clone / "src" / "auth.py").write_text("x = 1\n", encoding="utf-8")

    done = shop.run(["coord-hook", "claude", "post-tool-use"], stdin=after)

    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert service.active() == []


def test_session_start_summarises_the_reconcile_findings(shop: Workspace, service: Service) -> None:
    held = service.claim("bob", "src/auth.py")
    (shop.clone / "src" / "auth.py").write_text("x = 3\n", encoding="utf-8")
    (shop.clone / "notes.md").write_text("todo\n", encoding="utf-8")

    started = shop.run(
        ["coord-hook", "claude", "session-start"], stdin=payload("session_start", shop.clone)
    )

    context = output_of(started)["hookSpecificOutput"]["additionalContext"]
    summary = [line for line in context.splitlines() if line.startswith("coord reconcile:")]
    assert summary == [
        "coord reconcile: 2 changed file(s) no claim of yours covers "
        "(src/auth.py, held by bob; notes.md)."
    ]
    assert "Next: coord claim --from-worktree" in context
    assert held["id"] not in summary[0]
