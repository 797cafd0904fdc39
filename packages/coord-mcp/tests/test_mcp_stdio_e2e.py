"""`coord-mcp` over stdio, driven by the MCP SDK client, against a real `coord-api` process.

Every tool is called and its effect is checked over plain HTTP. Each test works in its own
repo bucket (`COORD_REPO_ID`), so tests sharing the module's server never see each other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.streams.text import TextReceiveStream

from coord_mcp.tools import TOOLS

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

TEMPLATE_ENV = {
    "COORD_API_URL": "http://127.0.0.1:8080",
    "COORD_AUTH_TOKEN": "set-me",
    "COORD_REPO_ID": "example-org/example-repo",
}


async def active_claims(http: httpx.AsyncClient, repo: str, **filters: str) -> list[dict[str, Any]]:
    answer = await http.get("/claims", params={"repo": repo, **filters})
    assert answer.status_code == 200, answer.text
    claims: list[dict[str, Any]] = answer.json()["claims"]
    return claims


async def waiting_entry(http: httpx.AsyncClient, repo: str) -> dict[str, Any]:
    """The first queue entry of `repo` once one waits (polled: it lives in another process)."""
    with anyio.fail_after(20):
        while True:
            answer = await http.get("/requests", params={"queued": "true", "repo": repo})
            entries: list[dict[str, Any]] = answer.json()["requests"]
            if entries:
                return entries[0]
            await anyio.sleep(0.02)


async def test_initialize_lists_the_tools(coord_service, agent, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with agent(coord_service.client_env(), tmp_path) as coord:
        assert coord.client.server_info.name == "coord"
        listing = await coord.client.list_tools()
    names = [tool.name for tool in listing.tools]
    assert names == [
        "claim_files", "check_conflicts", "list_claims", "release_claims", "extend_claims",
        "request_release", "respond_to_request", "wait_for_request", "pending_requests",
        "my_requests", "cancel_queue_request", "release_session", "reconcile",
    ]  # fmt: skip
    for tool in listing.tools:
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"


async def test_claim_tools_change_what_the_service_holds(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    repo = "e2e/claim-tools"
    env = coord_service.client_env(
        COORD_REPO_ID=repo, COORD_SESSION_ID="sess-claims", COORD_BRANCH="feature/login"
    )
    async with coord_service.async_client() as http, agent(env, tmp_path) as coord:
        granted = await coord.call(
            "claim_files", engineer="alex/claude/main", patterns=["src/auth/**"],
            description="login rework", ttl_hours=1,
        )  # fmt: skip
        assert granted["ok"], granted
        claim_id = granted["claim_ids"][0]
        (held,) = await active_claims(http, repo)
        assert (held["id"], held["pattern"], held["engineer"]) == (
            claim_id, "src/auth/**", "alex/claude/main",
        )  # fmt: skip
        assert (held["session_id"], held["branch"], held["repo"]) == (
            "sess-claims", "feature/login", repo,
        )  # fmt: skip
        assert f"release_claims(claim_ids=['{claim_id}'])" in granted["next_step"]

        listed = await coord.call("list_claims", engineer="alex/claude/main")
        assert [claim["id"] for claim in listed["claims"]] == [claim_id]

        other = await http.post("/claims", json={
            "engineer": "bob/codex/main", "repo": repo, "claims": [{"pattern": "docs/**"}],
        })  # fmt: skip
        assert other.status_code == 200
        checked = await coord.call(
            "check_conflicts", files=["docs/intro.md", "src/auth/x.ts"], engineer="alex/claude/main"
        )
        assert checked["ok"] and checked["has_conflicts"]
        holders = {c["conflicting_claim"]["engineer"] for c in checked["conflicts"]}
        assert holders == {"bob/codex/main"}  # alex's own claim is not a conflict
        assert "bob/codex/main holds 'docs/**'" in checked["summary"]

        before = held["expires_at"]
        extended = await coord.call(
            "extend_claims", claim_ids=[claim_id], engineer="alex/claude/main", ttl_hours=5
        )
        assert extended["ok"], extended
        (held,) = await active_claims(http, repo, engineer="alex/claude/main")
        assert held["expires_at"] > before

        released = await coord.call("release_claims", claim_ids=[claim_id])
        assert released["released"] == 1
        assert await active_claims(http, repo, engineer="alex/claude/main") == []


async def test_release_session_leaves_the_agent_able_to_claim_again(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    repo = "e2e/session"
    env = coord_service.client_env(COORD_REPO_ID=repo)
    async with coord_service.async_client() as http, agent(env, tmp_path) as coord:
        for pattern in ("a/**", "b/**"):
            assert (await coord.call("claim_files", engineer="alex", patterns=[pattern]))["ok"]
        session = (await active_claims(http, repo))[0]["session_id"]
        assert len(session) == 16  # generated for this process

        ended = await coord.call("release_session")
        assert ended["ok"] and ended["released"] == 2
        assert await active_claims(http, repo) == []

        again = await coord.call("claim_files", engineer="alex", patterns=["a/**"])
        assert again["ok"], again
        (held,) = await active_claims(http, repo)
        assert held["session_id"] == session


async def test_queue_tools_list_and_cancel_a_wait(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    repo = "e2e/queue"
    env = coord_service.client_env(COORD_REPO_ID=repo)
    async with coord_service.async_client() as http, agent(env, tmp_path) as coord:
        holder = await http.post("/claims", json={
            "engineer": "holder", "repo": repo, "claims": [{"pattern": "src/hot.ts"}],
        })  # fmt: skip
        assert holder.status_code == 200
        outcome: dict[str, Any] = {}

        async def wait_for_claim() -> None:
            outcome.update(await coord.call(
                "claim_files", engineer="waiter", patterns=["src/hot.ts"], wait_seconds=60,
            ))  # fmt: skip

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(wait_for_claim)
            entry = await waiting_entry(http, repo)
            mine = await coord.call("my_requests", queued=True, engineer="waiter")
            assert mine["ok"] and mine["count"] == 1
            listed = mine["requests"][0]
            assert (listed["queue_id"], listed["blocking_engineer"]) == (
                entry["queue_id"],
                "holder",
            )

            wrong = await coord.call(
                "cancel_queue_request", queue_id=entry["queue_id"], engineer="somebody-else"
            )
            assert wrong["refusal"]["code"] == "not_found"
            cancelled = await coord.call(
                "cancel_queue_request", queue_id=entry["queue_id"], engineer="waiter"
            )
            assert cancelled["ok"] and cancelled["cancelled"] is True
        assert outcome["ok"] is False
        assert outcome["refusal"]["code"] == "queue_cancelled"
        assert outcome["refusal"]["blockers"][0]["conflicting_claim"]["engineer"] == "holder"
        assert await active_claims(http, repo, engineer="waiter") == []


async def test_placeholders_in_the_registration_come_from_local_env_two_levels_up(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    local_env = tmp_path / ".coordination" / "local.env"
    local_env.parent.mkdir()
    local_env.write_text(
        f"COORD_API_URL={coord_service.base_url}\n"
        f"export COORD_AUTH_TOKEN='{coord_service.token}'\n"
        "COORD_REPO_ID=e2e/from-local-env\n",
        encoding="utf-8",
    )
    cwd = tmp_path / "packages" / "web"
    cwd.mkdir(parents=True)
    async with coord_service.async_client() as http, agent(TEMPLATE_ENV, cwd) as coord:
        granted = await coord.call("claim_files", engineer="alex", patterns=["web/**"])
        assert granted["ok"], granted
        (held,) = await active_claims(http, "e2e/from-local-env")
        assert held["pattern"] == "web/**"


async def test_a_placeholder_token_fails_with_a_401_naming_the_file(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    local_env = tmp_path / ".coordination" / "local.env"
    local_env.parent.mkdir()
    local_env.write_text(
        f"COORD_API_URL={coord_service.base_url}\nCOORD_AUTH_TOKEN=set-me\n"
        "COORD_REPO_ID=e2e/placeholder\n",
        encoding="utf-8",
    )
    async with coord_service.async_client() as http, agent(TEMPLATE_ENV, tmp_path) as coord:
        refused = await coord.call("claim_files", engineer="alex", patterns=["x/**"])
        assert await active_claims(http, "e2e/placeholder") == []
    assert refused["ok"] is False
    assert refused["refusal"]["code"] == "unauthorized"
    assert refused["refusal"]["http_status"] == 401
    assert refused["refusal"]["config_file"] == str(local_env)
    assert str(local_env) in refused["next_step"]
    assert "missing bearer token" in refused["refusal"]["detail"]  # nothing was sent


async def test_shell_code_in_local_env_is_never_run(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    local_env = tmp_path / ".coordination" / "local.env"
    local_env.parent.mkdir()
    local_env.write_text(
        f"COORD_API_URL={coord_service.base_url}\n"
        f"COORD_AUTH_TOKEN=$(touch {marker})\n"
        f"COORD_REPO_ID=`touch {marker}`\n"
        f'COORD_USER="$(touch {marker})"; touch {marker}\n',
        encoding="utf-8",
    )
    async with agent(TEMPLATE_ENV, tmp_path) as coord:
        refused = await coord.call("list_claims")
    assert refused["refusal"]["code"] == "unauthorized"  # the literal text was the token
    assert not marker.exists()


async def test_stdout_carries_only_protocol_frames(  # type: ignore[no-untyped-def]
    coord_service, mcp_command: str, tmp_path: Path
) -> None:
    env = {**os.environ, **coord_service.client_env(COORD_MCP_LOG_LEVEL="debug")}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"},
        }},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "list_claims", "arguments": {}}},
    ]  # fmt: skip
    payload = "".join(json.dumps(message) + "\n" for message in messages).encode()
    lines: list[str] = []
    async with await anyio.open_process([mcp_command], env=env, cwd=tmp_path) as process:
        assert process.stdin is not None and process.stdout is not None
        await process.stdin.send(payload)
        with anyio.fail_after(30):
            buffer = ""
            async for chunk in TextReceiveStream(process.stdout):
                buffer += chunk
                *complete, buffer = buffer.split("\n")
                lines += complete
                if any('"id":2' in line.replace(" ", "") for line in lines):
                    break
        await process.stdin.aclose()
        assert process.stderr is not None
        with anyio.fail_after(30):
            stderr = (await process.stderr.receive()).decode(errors="replace")
    frames = [json.loads(line) for line in lines if line.strip()]
    assert all(frame["jsonrpc"] == "2.0" for frame in frames)
    assert frames[-1]["result"]["structuredContent"]["ok"] is True
    assert "coord-mcp" in stderr  # the logs went to stderr


async def test_an_abandoned_wait_leaves_the_queue(  # type: ignore[no-untyped-def]
    coord_service, agent, tmp_path: Path
) -> None:
    repo = "e2e/abandon"
    env = coord_service.client_env(COORD_REPO_ID=repo)
    async with coord_service.async_client() as http, agent(env, tmp_path) as coord:
        await http.post("/claims", json={
            "engineer": "holder", "repo": repo, "claims": [{"pattern": "lock.json"}],
        })  # fmt: skip
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                lambda: coord.call(
                    "claim_files", engineer="w", patterns=["lock.json"], wait_seconds=300
                )
            )
            await waiting_entry(http, repo)
            tasks.cancel_scope.cancel()  # the agent gives up: the SDK cancels the tool call
        with anyio.fail_after(20):
            while (await http.get("/requests", params={"queued": "true", "repo": repo})).json()[
                "count"
            ]:
                await anyio.sleep(0.02)
        still_usable = await coord.call("list_claims")
        assert still_usable["ok"] and still_usable["count"] == 1


async def test_the_service_serves_the_same_tools_at_mcp(coord_service) -> None:  # type: ignore[no-untyped-def]
    import httpx2  # noqa: PLC0415 - the MCP SDK's own HTTP client
    from mcp import Client  # noqa: PLC0415
    from mcp.client.streamable_http import streamable_http_client  # noqa: PLC0415

    headers = {
        "Authorization": f"Bearer {coord_service.token}",
        "X-Coord-Repo": "e2e/remote",
        "X-Coord-Session": "remote-session",
    }
    async with coord_service.async_client() as http:
        probe = await http.post("/mcp", json={})
    if probe.status_code == 404:
        pytest.skip("this coord-api does not mount /mcp yet (create_app must call install_mcp)")
    async with httpx2.AsyncClient(headers=headers, timeout=60) as transport_client:
        transport = streamable_http_client(
            f"{coord_service.base_url}/mcp", http_client=transport_client
        )
        async with Client(transport, mode="legacy") as client:
            assert len((await client.list_tools()).tools) == len(TOOLS)
            result = await client.call_tool(
                "claim_files", {"engineer": "remote", "patterns": ["r/**"]}
            )
            assert result.structured_content is not None and result.structured_content["ok"]
            ended = await client.call_tool("release_session", {})
    assert ended.structured_content is not None
    assert ended.structured_content["released"] == 1
