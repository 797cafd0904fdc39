"""The typed client: what it sends, how it reads answers, and how failures arrive."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from coord_protocol import (
    ConflictBatchRequest,
    CreateClaimsRequest,
    ReleaseClaimsRequest,
)
from coord_protocol.adherence import AdherenceReport
from coord_protocol.client import (
    DEFAULT_TIMEOUT_SEC,
    LONG_POLL_MARGIN_SEC,
    AsyncCoordClient,
    Calls,
    ClientConfig,
    CoordClient,
)
from coord_protocol.errors import CoordError, ErrorCode

Handler = Callable[[httpx.Request], httpx.Response]
CLAIM = {"engineer": "alex", "claims": [{"pattern": "a.ts"}]}


def _client(
    handler: Handler, token: str | None = "secret", session: str | None = None
) -> CoordClient:
    config = ClientConfig("http://coord.test", token=token, session_id=session)
    return CoordClient(config, transport=httpx.MockTransport(handler))


def _answer(status: int, body: object) -> Handler:
    return lambda _request: httpx.Response(status, json=body)


def test_real_token_and_session_are_sent() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"claims": [], "count": 0})

    with _client(record, session="s-1") as client:
        client.list_claims(engineer="alex", active_only=False, repo=None)
    (request,) = seen
    assert request.headers["Authorization"] == "Bearer secret"
    assert request.headers["X-Coord-Session"] == "s-1"
    assert dict(request.url.params) == {"engineer": "alex", "active_only": "false"}


@pytest.mark.parametrize("placeholder", ["set-me", "", "  set-me  ", None])
def test_placeholder_token_is_never_sent(placeholder: str | None) -> None:
    assert "Authorization" not in ClientConfig("http://x", token=placeholder).headers()


def test_conflict_is_an_answer_not_an_exception() -> None:
    body = {"claim_ids": [], "conflicts": [], "options": ["wait"], "next_step": "wait"}
    with _client(_answer(409, body)) as client:
        answer = client.create_claims(CreateClaimsRequest.model_validate(CLAIM))
    assert answer.options == ["wait"] and answer.next_step == "wait"


def test_error_body_becomes_the_servers_coord_error() -> None:
    body = {"detail": "pattern '!x' is a negation", "code": "invalid_pattern", "rule": "negation"}
    with _client(_answer(400, body)) as client, pytest.raises(CoordError) as raised:
        client.create_claims(CreateClaimsRequest.model_validate(CLAIM))
    assert raised.value.code is ErrorCode.INVALID_PATTERN
    assert raised.value.extra["rule"] == "negation"
    assert raised.value.extra["status"] == 400


def test_unknown_error_code_and_foreign_answers_are_still_clear() -> None:
    teapot = _answer(418, {"detail": "teapot", "code": "brewing"})
    with _client(teapot) as client, pytest.raises(CoordError) as unknown:
        client.whoami()
    assert unknown.value.code is ErrorCode.INTERNAL and unknown.value.detail == "teapot"
    html = lambda _r: httpx.Response(502, text="<html>bad gateway</html>")  # noqa: E731
    with _client(html) as client, pytest.raises(CoordError) as foreign:
        client.whoami()
    assert foreign.value.code is ErrorCode.UNAVAILABLE
    assert "is the URL a coord service?" in foreign.value.detail


def test_unreadable_success_body_names_the_version_check() -> None:
    with _client(_answer(200, {"unexpected": True})) as client, pytest.raises(CoordError) as raised:
        client.release_claims(ReleaseClaimsRequest(claim_ids=["a"]))
    assert "coord doctor" in raised.value.detail


def test_unreachable_service_says_how_to_fix_it() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with _client(refuse) as client, pytest.raises(CoordError) as raised:
        client.check_conflicts(ConflictBatchRequest(patterns=["a.ts"], engineer="alex"))
    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert "coord start" in raised.value.detail and "COORD_API_URL" in raised.value.detail


def test_long_poll_timeout_outlasts_the_wait() -> None:
    call = Calls.create_claims(
        CreateClaimsRequest.model_validate({**CLAIM, "wait_seconds": 600}), "key-1"
    )
    assert call.timeout == DEFAULT_TIMEOUT_SEC + 600 + LONG_POLL_MARGIN_SEC
    assert call.headers == {"Idempotency-Key": "key-1"}
    assert call.answers == (200, 409)
    assert json.dumps(call.json)  # the body is plain JSON, without nulls
    assert "ttl_hours" not in call.json


def test_ids_are_quoted_into_paths() -> None:
    assert Calls.release_claim("a/b c").path == "/claims/a%2Fb%20c"
    assert Calls.release_session("s/1").path == "/sessions/s%2F1/release"
    assert Calls.cancel_queue("q/1").path == "/requests/q%2F1"


@pytest.mark.anyio
async def test_async_client_reads_answers_the_same_way() -> None:
    transport = httpx.MockTransport(_answer(200, {"principal": "operator", "auth_mode": "token"}))
    config = ClientConfig("http://coord.test", token="secret")
    async with AsyncCoordClient(config, transport=transport) as client:
        answer = await client.send(Calls.get("/whoami"), __import__("coord_protocol").WhoAmI)
    assert answer.principal == "operator"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_claim_listing_follows_every_page_up_to_its_bound() -> None:
    pages = {None: ("c1", "p2"), "p2": ("c2", "p3"), "p3": ("c3", None)}
    asked: list[str | None] = []

    def serve(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        asked.append(cursor)
        claim_id, after = pages[cursor]
        claim = {
            "id": claim_id,
            "engineer": "alex",
            "pattern": "a.ts",
            "claim_type": "file",
            "fence": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "expires_at": "2026-01-01T04:00:00Z",
        }
        body = {"claims": [claim], "count": 1, "total": 3, "next_cursor": after}
        return httpx.Response(200, json=body)

    listing = _client(serve).list_claims(engineer="alex")
    assert [c.id for c in listing.claims] == ["c1", "c2", "c3"] and asked == [None, "p2", "p3"]
    assert (listing.count, listing.total, listing.next_cursor) == (3, 3, None)


def test_adherence_calls() -> None:
    report = AdherenceReport.model_validate({"source": "reconcile", "undeclared": ["a.py"]})
    sent = Calls.report_adherence(report)
    assert (sent.method, sent.path) == ("POST", "/adherence/reports")
    assert sent.json == {"source": "reconcile", "commits": [], "undeclared": ["a.py"]}
    asked = Calls.adherence(30, "acme/web")
    assert (asked.path, asked.params) == (
        "/metrics/adherence",
        [("days", "30"), ("repo", "acme/web")],
    )
    assert Calls.adherence().params == [("days", "7")]
