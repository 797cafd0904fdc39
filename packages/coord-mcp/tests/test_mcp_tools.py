"""The tool catalogue and the tool boundary, through the MCP SDK client, in process.

The service here is a scripted stand-in (httpx's mock transport) so that answers the real
service cannot give yet (403, 429, a missing route) can be produced on purpose. The real
service is exercised end to end in test_mcp_stdio_e2e.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from coord_mcp.config import resolve_config
from coord_mcp.server import INSTRUCTIONS, build_server
from coord_mcp.stdio import caller_for, client_config_for, fixed_caller
from coord_mcp.tools import TOOL_NAMES, TOOLS
from coord_protocol.client import AsyncCoordClient

pytestmark = pytest.mark.anyio

SPEC_PARAMETERS = {
    "claim_files": {
        "engineer", "patterns", "description", "branch", "shared_files", "ttl_hours", "symbols",
        "narrowable", "wait_seconds", "urgency",
    },
    "check_conflicts": {"files", "engineer", "symbols"},
    "list_claims": {"active_only", "engineer", "module"},
    "release_claims": {"claim_ids", "engineer"},
    "extend_claims": {"claim_ids", "engineer", "ttl_hours"},
    "request_release": {"claim_id", "reason", "urgency", "wait_seconds", "requested_scope"},
    "respond_to_request": {
        "request_id", "decision", "note", "narrowed_pattern", "coexist_pattern", "coexist_symbols",
    },
    "wait_for_request": {"request_id", "timeout"},
    "pending_requests": {"session_id"},
    "my_requests": {"decision", "queued", "engineer"},
    "cancel_queue_request": {"queue_id", "engineer"},
    "release_session": {"session_id"},
    "reconcile": {"engineer", "idle_minutes"},
}  # fmt: skip
"""SPEC §10.1, verbatim; then `reconcile` (SPEC §16)."""

REQUIRED = {
    "claim_files": {"patterns"},
    "check_conflicts": {"files"},
    "release_claims": {"claim_ids"},
    "extend_claims": {"claim_ids", "ttl_hours"},
    "request_release": {"claim_id", "reason"},
    "respond_to_request": {"request_id", "decision"},
    "wait_for_request": {"request_id"},
    "cancel_queue_request": {"queue_id"},
}

ENVELOPE = {"ok", "summary", "next_step", "refusal"}
"""Beside the service's answer in every result; nothing is nested under `result`."""

HTTP_FIELDS = {
    "claim_files": {"claim_ids", "claims", "conflicts", "warnings", "options", "queue_id"},
    "check_conflicts": {"has_conflicts", "conflicts", "safe", "safe_to_proceed", "suggestion"},
    "list_claims": {"claims", "count"},
    "release_claims": {"released", "claim_ids"},
    "pending_requests": {"requests", "notices", "count"},
    "my_requests": {"requests", "count", "queued"},
    "cancel_queue_request": {"cancelled", "queue_id"},
    "release_session": {"released"},
    "request_release": {"id", "state", "decision", "holder", "granted_claim_ids"},
    "reconcile": {"undeclared_edits", "idle_claims", "changed", "clean", "fixes"},
}
"""Names the HTTP API answers with, which the MCP results carry at their top level too."""

Responder = Callable[[httpx.Request], httpx.Response]


class FakeService:
    """Answers as scripted and records every request it receives."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)


def no_such_route(request: httpx.Request) -> httpx.Response:
    """An older service: only the claim routes and the queue exist."""
    path = request.url.path
    if path == "/requests" and request.url.params.get("queued") == "true":
        return httpx.Response(200, json={"requests": [], "count": 0, "queued": True})
    if path == "/requests" and request.method == "POST":
        detail = "this route does not accept that method; see GET /openapi.json."
        return httpx.Response(405, json={"detail": detail, "code": "method_not_allowed"})
    if path == "/requests":
        detail = "release requests are not available on this server yet"
        return httpx.Response(404, json={"detail": detail, "code": "not_found"})
    detail = "no such route; GET /openapi.json lists every route of the API."
    return httpx.Response(404, json={"detail": detail, "code": "not_found"})


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    local_env = tmp_path / ".coordination" / "local.env"
    local_env.parent.mkdir()
    local_env.write_text("COORD_AUTH_TOKEN=set-me\nCOORD_REPO_ID=acme/web\n", encoding="utf-8")
    return tmp_path


@asynccontextmanager
async def connected(
    service: Any, workdir: Path, heartbeat: float = 10.0, **env: str
) -> AsyncIterator[Client]:
    environ = {"COORD_API_URL": "http://coord.test", "COORD_SESSION_ID": "s-1", **env}
    config = resolve_config(environ, workdir)
    transport = httpx.MockTransport(service)
    async with AsyncCoordClient(client_config_for(config), transport=transport) as http:
        server = build_server(fixed_caller(caller_for(config, http)), heartbeat=heartbeat)
        async with Client(server, mode="legacy") as client:
            yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    content: dict[str, Any] = result.structured_content or {}
    assert json.loads(result.content[0].text) == content  # type: ignore[union-attr]
    return content


async def test_all_tools_are_listed_with_their_spec_parameters(workdir: Path) -> None:
    async with connected(FakeService(no_such_route), workdir) as client:
        listing = await client.list_tools()
        assert client.instructions == INSTRUCTIONS
    tools = {tool.name: tool for tool in listing.tools}
    assert tuple(tools) == TOOL_NAMES
    assert set(tools) == set(SPEC_PARAMETERS)
    for name, tool in tools.items():
        assert set(tool.input_schema["properties"]) == SPEC_PARAMETERS[name], name
        assert set(tool.input_schema.get("required", [])) == REQUIRED.get(name, set()), name
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None
        answer_fields = set(TOOLS[TOOL_NAMES.index(name)].payload.model_fields)
        assert set(tool.output_schema["properties"]) == ENVELOPE | answer_fields, name
        assert set(tool.output_schema["required"]) == {"ok", "summary", "next_step"}, name
        assert tool.description and len(tool.description) > 80, name
        assert HTTP_FIELDS.get(name, set()) <= answer_fields, name
    assert tools["list_claims"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["claim_files"].annotations.read_only_hint is False  # type: ignore[union-attr]


async def test_argument_descriptions_reach_the_schema(workdir: Path) -> None:
    async with connected(FakeService(no_such_route), workdir) as client:
        listing = await client.list_tools()
    claim = next(tool for tool in listing.tools if tool.name == "claim_files")
    wait = claim.input_schema["properties"]["wait_seconds"]
    assert wait["maximum"] == 600
    assert "queue" in wait["description"]


@pytest.mark.parametrize(
    ("tool", "arguments", "feature"),
    [
        ("request_release", {"claim_id": "clm_1", "reason": "need it"}, "release requests"),
        ("respond_to_request", {"request_id": "r1", "decision": "approved"}, "answering"),
        ("wait_for_request", {"request_id": "r1", "timeout": 5}, "release requests"),
        ("pending_requests", {}, "inbox"),
        ("my_requests", {}, "listing release requests"),
    ],
)
async def test_tools_without_a_route_refuse_as_unsupported(
    workdir: Path, tool: str, arguments: dict[str, Any], feature: str
) -> None:
    service = FakeService(no_such_route)
    async with connected(service, workdir) as client:
        outcome = await call(client, tool, **arguments)
    assert outcome["ok"] is False
    assert outcome["refusal"]["code"] == "unsupported"
    assert feature in outcome["refusal"]["detail"]
    assert "nothing was done" in outcome["refusal"]["detail"]
    assert "works once the service is upgraded" in outcome["next_step"]
    assert len(service.requests) == 1  # asked once, never retried or faked


async def test_my_requests_queued_works_on_an_older_service(workdir: Path) -> None:
    service = FakeService(no_such_route)
    async with connected(service, workdir, COORD_USER="alex") as client:
        outcome = await call(client, "my_requests", queued=True)
    assert outcome["ok"] is True
    assert (outcome["queued"], outcome["requests"], outcome["count"]) == (True, [], 0)
    sent = service.requests[0].url.params
    assert (sent["queued"], sent["engineer"], sent["repo"]) == ("true", "alex", "acme/web")


async def test_a_placeholder_token_is_never_sent_and_the_401_names_the_file(
    workdir: Path,
) -> None:
    def unauthorized(request: httpx.Request) -> httpx.Response:
        body = {"detail": "missing bearer token", "code": "unauthorized"}
        return httpx.Response(401, json=body)

    service = FakeService(unauthorized)
    async with connected(service, workdir, COORD_AUTH_TOKEN="set-me") as client:
        outcome = await call(client, "list_claims")
    assert "authorization" not in service.requests[0].headers
    local_env = str(workdir / ".coordination" / "local.env")
    assert outcome["refusal"]["code"] == "unauthorized"
    assert outcome["refusal"]["config_file"] == local_env
    assert local_env in outcome["next_step"]


async def test_unknown_arguments_are_refused_by_name(workdir: Path) -> None:
    service = FakeService(no_such_route)
    async with connected(service, workdir) as client:
        outcome = await call(client, "claim_files", engineer="alex", pattern="src/a.py")
    assert outcome["refusal"]["code"] == "invalid_arguments"
    assert "pattern: Extra inputs are not permitted" in outcome["refusal"]["detail"]
    assert "patterns: Field required" in outcome["refusal"]["detail"]
    assert service.requests == []


async def test_a_single_pattern_string_is_a_list_of_one(workdir: Path) -> None:
    def granted(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"claim_ids": ["c1"], "claims": []})

    service = FakeService(granted)
    async with connected(service, workdir) as client:
        outcome = await call(client, "claim_files", engineer="alex", patterns="src/a.py")
    assert outcome["ok"] is True
    body = json.loads(service.requests[0].content)
    assert body["claims"] == [{"type": "file", "pattern": "src/a.py"}]
    assert (body["repo"], body["session_id"]) == ("acme/web", "s-1")


async def test_forbidden_and_rate_limited_come_back_as_data(workdir: Path) -> None:
    answers = iter([
        httpx.Response(403, json={"detail": "token bound to bob", "code": "forbidden"}),
        httpx.Response(429, json={"detail": "slow down", "code": "rate_limited", "retry_after": 2}),
    ])  # fmt: skip
    service = FakeService(lambda _request: next(answers))
    async with connected(service, workdir) as client:
        forbidden = await call(client, "release_claims", claim_ids=["c1"], engineer="alex")
        limited = await call(client, "list_claims")
    assert forbidden["refusal"]["code"] == "forbidden"
    assert forbidden["refusal"]["http_status"] == 403
    assert limited["refusal"]["retry_after_seconds"] == 2
    assert "wait 2 s" in limited["next_step"]


async def test_an_unexpected_failure_is_an_error_result_not_a_crash(workdir: Path) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("bug in the transport")

    async with connected(FakeService(broken), workdir) as client:
        result = await client.call_tool("list_claims", {})
        again = await client.call_tool("list_claims", {})
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["refusal"]["code"] == "internal"
    assert again.is_error  # the server survived the first failure


async def test_extend_claims_reports_each_claim(workdir: Path) -> None:
    def extend(request: httpx.Request) -> httpx.Response:
        if "missing" in request.url.path:
            return httpx.Response(404, json={"detail": "no claim missing", "code": "not_found"})
        claim = {
            "id": "c1", "engineer": "alex", "claim_type": "file", "pattern": "a.py", "fence": 1,
            "created_at": "2026-11-24T10:00:00Z", "expires_at": "2026-11-24T14:00:00Z",
        }  # fmt: skip
        return httpx.Response(200, json={"claim": claim})

    async with connected(FakeService(extend), workdir) as client:
        outcome = await call(
            client, "extend_claims", claim_ids=["c1", "missing"], engineer="alex", ttl_hours=2
        )
    assert outcome["ok"] is False
    assert [claim["id"] for claim in outcome["claims"]] == ["c1"]
    assert outcome["failed"] == {"missing": "no claim missing"}
    assert "list_claims(engineer='alex')" in outcome["next_step"]


async def test_ids_cannot_escape_their_route(workdir: Path) -> None:
    service = FakeService(no_such_route)
    async with connected(service, workdir) as client:
        await call(client, "wait_for_request", request_id="../claims?x=1", timeout=1)
    assert service.requests[0].url.raw_path.startswith(b"/requests/..%2Fclaims%3Fx%3D1")


async def test_a_long_wait_reports_progress_to_clients_that_ask(workdir: Path) -> None:
    answered = anyio.Event()
    messages: list[str | None] = []

    async def slow_grant(request: httpx.Request) -> httpx.Response:
        await answered.wait()  # the service holds the long-poll until the test lets it go
        return httpx.Response(200, json={"claim_ids": ["c1"], "claims": []})

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message)
        if len(messages) == 2:
            answered.set()

    async with connected(slow_grant, workdir, heartbeat=0.01) as client:
        result = await client.call_tool(
            "claim_files",
            {"engineer": "alex", "patterns": ["a.py"], "wait_seconds": 600},
            progress_callback=on_progress,
        )
    assert result.structured_content is not None and result.structured_content["ok"]
    assert len(messages) >= 2
    assert messages[0] is not None and "still waiting" in messages[0]


async def test_a_bad_configured_repo_id_is_refused_naming_the_file(workdir: Path) -> None:
    service = FakeService(no_such_route)
    async with connected(service, workdir, COORD_REPO_ID="not a repo id") as client:
        outcome = await call(client, "claim_files", engineer="alex", patterns=["a.py"])
    assert outcome["refusal"]["code"] == "invalid_arguments"
    assert "repo" in outcome["refusal"]["detail"]
    assert "COORD_REPO_ID" in outcome["next_step"]
    assert outcome["refusal"]["config_file"] == str(workdir / ".coordination" / "local.env")
    assert service.requests == []


async def test_the_configured_token_goes_with_every_call_and_names_who_acts(
    workdir: Path,
) -> None:
    token = "coord_pat_" + "k" * 43  # with the URL, from one source (here the environment)

    def grant(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"claim_ids": ["c1"], "claims": []})

    service = FakeService(grant)
    async with connected(service, workdir, COORD_AUTH_TOKEN=token) as client:
        granted = await call(client, "claim_files", patterns=["a.py"])
        await call(client, "list_claims")
    assert granted["ok"] and granted["claim_ids"] == ["c1"]
    assert [sent.headers["authorization"] for sent in service.requests] == [f"Bearer {token}"] * 2
    # No engineer named and no COORD_USER: the service acts as the token's own engineer.
    assert "engineer" not in json.loads(service.requests[0].content)


async def test_an_unnamed_engineer_the_service_needs_says_how_to_name_one(
    workdir: Path,
) -> None:
    def needs_a_name(request: httpx.Request) -> httpx.Response:
        detail = "invalid request: body.engineer: Field required"
        return httpx.Response(422, json={"detail": detail, "code": "validation_error"})

    async with connected(FakeService(needs_a_name), workdir) as client:
        refused = await call(client, "check_conflicts", files=["a.py"])
    assert refused["refusal"]["code"] == "validation_error"
    assert "COORD_USER" in refused["next_step"]


async def test_a_listing_of_one_page_says_how_many_match_in_all(workdir: Path) -> None:
    claim = {
        "id": "c1", "engineer": "alex", "claim_type": "file", "pattern": "a.py", "fence": 1,
        "created_at": "2026-11-24T10:00:00Z", "expires_at": "2026-11-24T14:00:00Z",
    }  # fmt: skip

    def one_page(request: httpx.Request) -> httpx.Response:
        page = {"count": 1, "total": 3, "next_cursor": "cur_2"}
        if request.url.path == "/claims":
            return httpx.Response(200, json={"claims": [claim], **page})
        return httpx.Response(200, json={"requests": [], **page, "count": 0})

    async with connected(FakeService(one_page), workdir, COORD_USER="alex") as client:
        listed = await call(client, "list_claims")
        filed = await call(client, "my_requests")
    assert (listed["count"], listed["total"], listed["next_cursor"]) == (1, 3, "cur_2")
    assert listed["summary"] == "the newest 1 of 3 claim(s)"
    assert "filter with engineer or module" in listed["next_step"]
    assert (filed["total"], filed["next_cursor"]) == (3, "cur_2")
    assert filed["summary"] == "the newest 0 of 3 release request(s)"
