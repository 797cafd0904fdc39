"""The service's `/mcp` endpoint: the same tools over streamable HTTP, through the SDK client.

The coord application runs in process with the mount installed (`install_mcp`), exactly as
`create_app` registers it, and the MCP SDK's own streamable HTTP client talks to it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette

from coord_mcp.remote import transport_security
from coord_mcp.tools import TOOLS

pytestmark = pytest.mark.anyio

TOKEN = "http-endpoint-token-0123456789"
BASE = "http://coord.test"


def build_app(database: Path) -> Starlette:
    """The coord application with its `/mcp` mount, as `create_app` builds it."""
    from coord_server.app import create_app  # noqa: PLC0415 - the server is only a test peer here
    from coord_server.mcp_mount import install_mcp  # noqa: PLC0415
    from coord_server.settings import load_settings  # noqa: PLC0415

    settings = load_settings(
        auth_token=TOKEN, database_path=database, mcp_allowed_hosts=("coord.test",)
    )
    application = create_app(settings)
    if not any(getattr(route, "path", None) == "/mcp" for route in application.routes):
        install_mcp(application)  # until create_app registers the mount itself
    return application


@pytest.fixture(autouse=True)
def _no_outer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("COORD_")]:
        monkeypatch.delenv(name)  # the settings must come from this test only


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[Starlette]:
    application = build_app(tmp_path / "c.db")
    async with application.router.lifespan_context(application):
        yield application


def http_client(app: Starlette, **headers: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url=BASE, headers=headers, timeout=60
    )


@asynccontextmanager
async def remote_agent(app: Starlette, token: str = TOKEN, **headers: str) -> AsyncIterator[Client]:
    auth = {"Authorization": f"Bearer {token}", **headers}
    async with http_client(app, **auth) as http:
        transport = streamable_http_client(f"{BASE}/mcp", http_client=http)
        async with Client(transport, mode="legacy") as client:
            yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


async def test_the_endpoint_lists_the_shared_tool_definitions(app: Starlette) -> None:
    async with remote_agent(app) as client:
        assert client.server_info is not None and client.server_info.name == "coord"
        listing = await client.list_tools()
    served = {tool.name: tool for tool in listing.tools}
    for spec in TOOLS:
        definition = spec.definition()
        assert served[spec.name].input_schema == definition.input_schema
        assert served[spec.name].output_schema == definition.output_schema
        assert served[spec.name].description == definition.description


async def test_claims_carry_the_remote_callers_identity_headers(app: Starlette) -> None:
    headers = {"X-Coord-Session": "remote-a", "X-Coord-Repo": "acme/web", "X-Coord-Branch": "b1"}
    async with remote_agent(app, **headers) as client:
        granted = await call(client, "claim_files", engineer="alex", patterns=["src/**"])
    assert granted["ok"], granted
    async with http_client(app, Authorization=f"Bearer {TOKEN}") as http:
        claims = (await http.get("/claims", params={"repo": "acme/web"})).json()["claims"]
    assert [(c["engineer"], c["session_id"], c["branch"]) for c in claims] == [
        ("alex", "remote-a", "b1")
    ]


async def test_two_remote_agents_conflict_and_release(app: Starlette) -> None:
    repo = {"X-Coord-Repo": "acme/api"}
    async with (
        remote_agent(app, **repo, **{"X-Coord-Session": "ra"}) as a,
        remote_agent(app, **repo, **{"X-Coord-Session": "rb"}) as b,
    ):
        held = await call(a, "claim_files", engineer="alice", patterns=["api/**"])
        refused = await call(b, "claim_files", engineer="bob", patterns=["api/users.py"])
        assert refused["refusal"]["code"] == "conflict"
        assert refused["refusal"]["blockers"][0]["conflicting_claim"]["engineer"] == "alice"
        assert "wait_seconds=" in refused["next_step"]
        released = await call(a, "release_claims", claim_ids=held["claim_ids"])
        assert released["released"] == 1
        granted = await call(b, "claim_files", engineer="bob", patterns=["api/users.py"])
        assert granted["ok"], granted
        ended = await call(b, "release_session")
        assert ended["released"] == 1


async def test_the_endpoint_needs_the_bearer_token(app: Starlette) -> None:
    initialize = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "0"}},
    }  # fmt: skip
    accept = {"Accept": "application/json, text/event-stream"}
    async with http_client(app, **accept) as anonymous:
        refused = await anonymous.post("/mcp", json=initialize)
    async with http_client(app, **accept, Authorization="Bearer wrong") as wrong:
        also_refused = await wrong.post("/mcp", json=initialize)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")
    assert also_refused.status_code == 401


async def test_the_endpoint_answers_503_outside_the_lifespan_and_serves_after_a_restart(
    tmp_path: Path,
) -> None:
    application = build_app(tmp_path / "c.db")
    async with http_client(application, Authorization=f"Bearer {TOKEN}") as http:
        early = await http.post("/mcp", json={})
    assert (early.status_code, early.json()["code"]) == (503, "unavailable")
    for _start in range(2):
        async with (
            application.router.lifespan_context(application),
            remote_agent(application) as client,
        ):
            assert len((await client.list_tools()).tools) == len(TOOLS)


# -- result shapes -------------------------------------------------------------------------------

DECLARED = {spec.name: spec.definition().output_schema for spec in TOOLS}


async def checked(
    client: Client, results: dict[str, list[Any]], tool: str, **arguments: Any
) -> dict[str, Any]:
    """Call `tool` and check its result against the output schema the tool declares."""
    outcome = await call(client, tool, **arguments)
    schema = DECLARED[tool]
    assert schema is not None
    jsonschema.Draft202012Validator(schema).validate(outcome)
    assert "result" not in outcome  # the answer is flat, never nested
    results.setdefault(tool, []).append(outcome)
    return outcome


async def test_every_tool_answers_flat_under_its_declared_output_schema(app: Starlette) -> None:
    results: dict[str, list[Any]] = {}
    repo = {"X-Coord-Repo": "acme/shapes"}
    alice = {**repo, "X-Coord-Session": "sa", "X-Coord-User": "alice"}
    bob = {**repo, "X-Coord-Session": "sb", "X-Coord-User": "bob"}
    async with remote_agent(app, **alice) as a, remote_agent(app, **bob) as b:
        app_py = ["src/app.py"]
        held = await checked(
            a, results, "claim_files", patterns=app_py, symbols={"src/app.py": ["Router::go"]}
        )
        assert held["ok"] and held["claims"][0]["id"] == held["claim_ids"][0]
        mine = {"src/app.py": ["Router", "boot"]}
        refused = await checked(b, results, "claim_files", patterns=app_py, symbols=mine)
        assert (refused["ok"], refused["claim_ids"], refused["options"]) == (
            False, [], ["wait", "narrow_claim", "escalate"],
        )  # fmt: skip
        overlap = [{"file": "src/app.py", "symbols": ["Router"]}]
        assert refused["conflicts"][0]["symbol_overlap"] == overlap
        assert "drop Router from your symbols" in refused["next_step"]
        asked = await checked(
            b, results, "check_conflicts", files=app_py, symbols={"src/app.py": ["Router"]}
        )
        assert (asked["has_conflicts"], asked["safe"], asked["safe_to_proceed"]) == (
            True,
            False,
            False,
        )
        assert asked["conflicts"][0]["symbol_overlap"] == overlap
        listed = await checked(b, results, "list_claims")
        assert listed["count"] == 1 and listed["claims"][0]["engineer"] == "alice"
        kept = await checked(a, results, "extend_claims", claim_ids=held["claim_ids"], ttl_hours=2)
        assert kept["failed"] == {} and kept["claims"][0]["id"] == held["claim_ids"][0]
        blocker = refused["conflicts"][0]["conflicting_claim"]["id"]
        filed = await checked(b, results, "request_release", claim_id=blocker, reason="need it")
        assert filed["state"] == "pending" and filed["holder"] == "alice"
        inbox = await checked(a, results, "pending_requests")
        assert [request["id"] for request in inbox["requests"]] == [filed["id"]]
        await checked(a, results, "respond_to_request", request_id=filed["id"], decision="approved")
        decided = await checked(b, results, "wait_for_request", request_id=filed["id"], timeout=5)
        assert decided["decision"] == "approved"
        filed_by_b = await checked(b, results, "my_requests")
        assert (filed_by_b["queued"], [r["id"] for r in filed_by_b["requests"]]) == (
            False, [filed["id"]],
        )  # fmt: skip
        waiting = await checked(b, results, "my_requests", queued=True)
        assert (waiting["queued"], waiting["requests"], waiting["count"]) == (True, [], 0)
        gone = await checked(b, results, "cancel_queue_request", queue_id="q_missing")
        assert gone["ok"] is False or gone["cancelled"] is False
        mine_now = await checked(b, results, "claim_files", patterns=["src/other.py"])
        freed = await checked(b, results, "release_claims", claim_ids=mine_now["claim_ids"])
        assert freed["released"] == 1
        ended = await checked(b, results, "release_session")
        assert ended["ok"] and isinstance(ended["released"], int)
        remote = await checked(b, results, "reconcile")  # no working tree here: refused
        assert remote["ok"] is False and remote["refusal"]["code"] == "unsupported"
        bad = await checked(b, results, "claim_files", patterns=[])
        assert set(bad) == {"ok", "summary", "next_step", "refusal"}  # refused before any call
    assert set(results) == {spec.name for spec in TOOLS}


# -- identity: the token's principal -------------------------------------------------------------


async def engineer_token(app: Starlette, engineer: str) -> str:
    async with http_client(app, Authorization=f"Bearer {TOKEN}") as http:
        created = await http.post("/admin/tokens", json={"engineer": engineer})
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


async def claims_in(app: Starlette, repo: str) -> list[dict[str, Any]]:
    async with http_client(app, Authorization=f"Bearer {TOKEN}") as http:
        listed = await http.get("/claims", params={"repo": repo})
    claims: list[dict[str, Any]] = listed.json()["claims"]
    return claims


async def test_an_engineer_outside_the_token_is_refused_as_the_routes_refuse_it(
    app: Starlette,
) -> None:
    token = await engineer_token(app, "alice")
    repo = {"X-Coord-Repo": "acme/who"}
    async with remote_agent(app, token, **repo) as client:
        as_bob = await call(client, "claim_files", engineer="bob", patterns=["src/a.py"])
        checked_as_bob = await call(client, "check_conflicts", engineer="bob", files=["src/a.py"])
        released_as_bob = await call(client, "release_claims", claim_ids=["c1"], engineer="bob")
    for refused in (as_bob, checked_as_bob, released_as_bob):
        assert refused["ok"] is False
        assert (refused["refusal"]["code"], refused["refusal"]["http_status"]) == (
            "forbidden", 403,
        )  # fmt: skip
        assert "may act as 'alice' or 'alice/...' only" in refused["refusal"]["detail"]
    assert "engineer 'bob' is not yours" in as_bob["refusal"]["detail"]
    assert await claims_in(app, "acme/who") == []  # nothing was sent on bob's behalf


async def test_an_omitted_engineer_is_the_tokens_own(app: Starlette) -> None:
    token = await engineer_token(app, "alice")
    async with remote_agent(app, token, **{"X-Coord-Repo": "acme/own"}) as client:
        granted = await call(client, "claim_files", patterns=["src/a.py"])
        beneath = await call(
            client, "claim_files", engineer="alice/claude/x", patterns=["docs/b.md"]
        )
    assert granted["ok"] and granted["claims"][0]["engineer"] == "alice", granted
    assert beneath["ok"] and beneath["claims"][0]["engineer"] == "alice/claude/x", beneath
    stored = {(claim["pattern"], claim["engineer"]) for claim in await claims_in(app, "acme/own")}
    assert stored == {("src/a.py", "alice"), ("docs/b.md", "alice/claude/x")}


async def test_the_user_header_does_not_override_the_token(app: Starlette) -> None:
    token = await engineer_token(app, "alice")
    headers = {"X-Coord-Repo": "acme/hdr", "X-Coord-User": "mallory"}
    async with remote_agent(app, token, **headers) as client:
        refused = await call(client, "claim_files", patterns=["src/a.py"])
    assert refused["refusal"]["code"] == "forbidden"
    assert "the X-Coord-User header 'mallory' is not yours" in refused["refusal"]["detail"]
    assert await claims_in(app, "acme/hdr") == []


async def test_the_operator_token_still_acts_as_anyone(app: Starlette) -> None:
    async with remote_agent(app, **{"X-Coord-Repo": "acme/op"}) as client:
        granted = await call(client, "claim_files", engineer="zoe", patterns=["src/a.py"])
    assert granted["ok"] and granted["claims"][0]["engineer"] == "zoe"


# -- DNS rebinding ---------------------------------------------------------------------------------

INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "t", "version": "0"}},
}  # fmt: skip
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}


async def post_initialize(app: Starlette, **headers: str) -> httpx2.Response:
    async with http_client(app, Authorization=f"Bearer {TOKEN}", **MCP_ACCEPT) as http:
        return await http.post("/mcp", json=INITIALIZE, headers=headers)


async def test_a_foreign_host_is_refused_even_with_a_valid_token(app: Starlette) -> None:
    foreign = await post_initialize(app, Host="attacker.example")
    foreign_port = await post_initialize(app, Host="attacker.example:8080")
    foreign_origin = await post_initialize(app, Host="127.0.0.1:8080", Origin="http://evil.example")
    assert foreign.status_code == 421 and foreign_port.status_code == 421
    assert foreign_origin.status_code == 403
    for host in ("127.0.0.1:8080", "localhost", "[::1]:9", "coord.test", "coord.test:443"):
        answered = await post_initialize(app, Host=host)
        assert answered.status_code == 200, (host, answered.text)
    same_origin = await post_initialize(app, Host="localhost:8080", Origin="http://localhost:8080")
    assert same_origin.status_code == 200


def test_allowed_hosts_are_the_setting_and_a_specific_bind_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coord_server.mcp_mount import allowed_hosts  # noqa: PLC0415
    from coord_server.settings import load_settings  # noqa: PLC0415

    monkeypatch.setenv("COORD_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("COORD_MCP_ALLOWED_HOSTS", " coord.example.com, proxy.internal:8443 ,")
    assert allowed_hosts(load_settings()) == ["coord.example.com", "proxy.internal:8443"]
    monkeypatch.setenv("COORD_HOST", "10.1.2.3")
    assert allowed_hosts(load_settings())[-1] == "10.1.2.3"
    monkeypatch.setenv("COORD_HOST", "fd00::5")
    assert allowed_hosts(load_settings())[-1] == "[fd00::5]"


def test_a_star_turns_the_host_check_off_and_loopback_is_always_allowed() -> None:
    assert transport_security(["*"]).enable_dns_rebinding_protection is False
    guarded = transport_security(["coord.example.com"])
    assert guarded.enable_dns_rebinding_protection is True
    assert {"localhost:*", "127.0.0.1:*", "[::1]:*", "coord.example.com:*"} <= set(
        guarded.allowed_hosts
    )
    assert "https://coord.example.com" in guarded.allowed_origins


async def test_reconcile_over_http_refuses_and_names_the_local_ways(app: Starlette) -> None:
    async with remote_agent(app) as client:
        outcome = await call(client, "reconcile")
    assert outcome["ok"] is False
    assert outcome["refusal"]["code"] == "unsupported"
    assert "no checkout of yours" in outcome["refusal"]["detail"]
    assert "coord reconcile" in outcome["next_step"] and "stdio" in outcome["next_step"]
