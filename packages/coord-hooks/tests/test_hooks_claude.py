"""The Claude Code hooks, driven with recorded hook payloads against a real `coord-api` process.

Each test runs the installed `coord-hook claude <event>` with a payload from `payloads/`,
moved into a temporary checkout, exactly as Claude Code would run it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hooks_support import Service, Workspace, local_env_for, make_workspace, payload

pytestmark = pytest.mark.slow

AUTH = """import session


def login(user):
    return session.open(user)


def logout(user):
    return session.close()
"""

SESSION = "6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f"
"""The session id of the recorded payloads."""


@pytest.fixture
def shop(tmp_path: Path, service: Service) -> Workspace:
    """Alice's checkout, wired to the service as `alice`."""
    workspace = make_workspace(tmp_path / "ws", {"src/auth.py": AUTH, "package.json": "{}\n"})
    workspace.write_local_env(**local_env_for(service))
    return workspace


def hook(
    shop: Workspace, event: str, recorded: str, checkout: Path | None = None, **changes: Any
) -> subprocess.CompletedProcess[str]:
    """Run `coord-hook claude EVENT` with the recorded payload `recorded`."""
    where = checkout or shop.clone
    body = payload(recorded, where, **changes)
    return shop.run(["coord-hook", "claude", event], cwd=where, stdin=body)


def decision(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The `hookSpecificOutput` of a hook that exited 0."""
    assert done.returncode == 0, done.stderr
    output: dict[str, Any] = json.loads(done.stdout)["hookSpecificOutput"]
    return output


def session_claims(service: Service) -> list[dict[str, Any]]:
    """Active claims of the recorded session."""
    return service.active(session_id=SESSION)


def test_an_edit_of_a_file_another_engineer_holds_is_denied_with_the_next_step(
    shop: Workspace, service: Service
) -> None:
    held = service.claim("bob/claude/main", "src/auth.py", description="session rework")

    done = hook(shop, "pre-tool-use", "pre_tool_use_edit")

    answer = decision(done)
    assert answer["hookEventName"] == "PreToolUse"
    assert answer["permissionDecision"] == "deny"
    reason = answer["permissionDecisionReason"]
    assert "bob/claude/main" in reason
    assert held["id"] in reason
    assert "session rework" in reason
    assert "request_release" in reason
    assert "wait_seconds" in reason
    assert session_claims(service) == []


def test_an_edit_of_a_free_file_claims_it_for_the_session_once(
    shop: Workspace, service: Service
) -> None:
    first = hook(shop, "pre-tool-use", "pre_tool_use_edit")
    second = hook(shop, "pre-tool-use", "pre_tool_use_multiedit")

    for done in (first, second):
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # no decision: the user's own permission rules apply
    claims = session_claims(service)
    assert [(c["pattern"], c["engineer"], c["repo"]) for c in claims] == [
        ("src/auth.py", "alice", "shop/web")
    ]
    assert claims[0]["branch"] == "main"


def test_a_root_file_is_claimed_anchored(shop: Workspace, service: Service) -> None:
    service.claim("bob", "src/auth.py")

    done = hook(shop, "pre-tool-use", "pre_tool_use_write")

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert [c["pattern"] for c in session_claims(service)] == ["/package.json"]


def test_an_edit_of_another_symbol_than_the_one_held_is_allowed_and_claims_it(
    shop: Workspace, service: Service
) -> None:
    service.claim("bob", "src/auth.py", spec={"symbols": ["login"]})

    done = hook(shop, "pre-tool-use", "pre_tool_use_edit")  # inside logout

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    claims = session_claims(service)
    assert [(c["pattern"], c["symbols"]) for c in claims] == [("src/auth.py", ["logout"])]


def test_an_edit_of_the_symbol_held_is_denied_naming_it(shop: Workspace, service: Service) -> None:
    service.claim("bob", "src/auth.py", spec={"symbols": ["login"]})

    done = hook(shop, "pre-tool-use", "pre_tool_use_multiedit")  # both edits inside login

    answer = decision(done)
    assert answer["permissionDecision"] == "deny"
    assert "login" in answer["permissionDecisionReason"]
    assert session_claims(service) == []


def test_an_edit_that_maps_to_no_symbol_asks_for_an_explicit_symbol_claim(
    shop: Workspace, service: Service
) -> None:
    service.claim("bob", "src/auth.py", spec={"symbols": ["login"]})
    rewrite = {"file_path": str(shop.clone / "src/auth.py"), "content": "import session\n"}

    done = hook(shop, "pre-tool-use", "pre_tool_use_write", tool_input=rewrite)

    answer = decision(done)
    assert answer["permissionDecision"] == "deny"
    reason = answer["permissionDecisionReason"]
    assert "claim it explicitly" in reason
    assert 'symbols={"src/auth.py": ["YourSymbol"]}' in reason


def test_session_start_shows_the_claims_of_others(shop: Workspace, service: Service) -> None:
    service.claim("bob", "src/auth.py", description="session rework")
    service.claim("alice", "/package.json")

    answer = decision(hook(shop, "session-start", "session_start"))

    assert answer["hookEventName"] == "SessionStart"
    context = answer["additionalContext"]
    assert SESSION in context
    assert "- src/auth.py: bob" in context
    assert "session rework" in context
    assert "package.json" not in context  # alice's own claim


def test_session_end_releases_the_sessions_claims_only(shop: Workspace, service: Service) -> None:
    held = service.claim("bob", "src/cart.py")
    assert hook(shop, "pre-tool-use", "pre_tool_use_edit").returncode == 0
    assert len(session_claims(service)) == 1

    done = hook(shop, "session-end", "session_end")

    assert done.returncode == 0, done.stderr
    assert session_claims(service) == []
    assert [c["id"] for c in service.active()] == [held["id"]]


def test_a_linked_worktree_uses_the_main_checkouts_local_env(
    shop: Workspace, service: Service
) -> None:
    worktree = shop.worktree("feature-wt", "feature")

    done = hook(shop, "pre-tool-use", "pre_tool_use_edit", checkout=worktree)

    assert done.returncode == 0, done.stderr
    claims = session_claims(service)
    assert [(c["pattern"], c["branch"]) for c in claims] == [("src/auth.py", "feature")]


def test_before_a_shell_command_nothing_is_claimed_or_said(
    shop: Workspace, service: Service
) -> None:
    done = hook(shop, "pre-tool-use", "pre_tool_use_bash")

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert service.active() == []


@pytest.mark.parametrize(
    ("event", "recorded"),
    [
        ("session-start", "session_start"),
        ("pre-tool-use", "pre_tool_use_edit"),
        ("session-end", "session_end"),
    ],
)
def test_every_hook_fails_open_with_a_warning_when_the_service_is_down(
    shop: Workspace, service: Service, dead_url: str, event: str, recorded: str
) -> None:
    shop.write_local_env(**{**local_env_for(service), "COORD_API_URL": dead_url})

    done = hook(shop, event, recorded)

    assert done.returncode == 0
    output = json.loads(done.stdout)
    assert "hookSpecificOutput" not in output
    assert "unreachable" in output["systemMessage"]
    assert "unreachable" in done.stderr


def test_a_malformed_payload_is_reported_and_lets_the_agent_continue(shop: Workspace) -> None:
    done = shop.run(["coord-hook", "claude", "pre-tool-use"], stdin="not json")

    assert done.returncode == 0
    assert "coord-hook claude pre-tool-use" in done.stderr


def test_an_unwired_checkout_is_said_once_and_edits_go_ahead(
    shop: Workspace, service: Service
) -> None:
    (shop.clone / ".coordination" / "local.env").unlink()
    service.claim("bob", "src/auth.py")

    started = hook(shop, "session-start", "session_start")
    edited = hook(shop, "pre-tool-use", "pre_tool_use_edit")

    assert started.returncode == 0
    assert "coord init" in json.loads(started.stdout)["systemMessage"]
    assert (edited.returncode, edited.stdout, edited.stderr) == (0, "", "")
