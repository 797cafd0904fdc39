"""Every cap on held work: the request past it gets the documented refusal, those before succeed.

Queue entries per engineer and in total, open event streams, `/mcp` bodies and concurrent
connections are driven against real `coord-api` processes started with small caps. Release
request long-polls are counted inside the process, so that test runs the app in-process and
waits on that count instead of guessing when the long-polls have started.

A refusal names the cap and its setting, says what to do next and (429, 503) when to retry.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from coord_e2e import CoordApi, CoordApiFactory, wait_until
from server_support import TOKEN, eventually, serve

from coord_server.app import create_app
from coord_server.settings import load_settings

pytestmark = pytest.mark.slow

DEADLINE_SEC = 20.0
"""How long a condition another process makes true may take."""

CAPS = {
    "COORD_MAX_QUEUE_PER_ENGINEER": "2",
    "COORD_MAX_QUEUE_TOTAL": "3",
    "COORD_MAX_EVENT_STREAMS": "2",
    "COORD_MAX_MCP_BODY_BYTES": "4096",
}


@pytest.fixture(scope="module")
def server(module_coord_api_factory: CoordApiFactory) -> CoordApi:
    """A server with small caps, shared by the tests of this module."""
    return module_coord_api_factory.start(env=CAPS)


def assert_refusal(response: httpx.Response, status: int, code: str, setting: str) -> None:
    """The documented refusal: status, code, the cap's setting named, a next step."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["cap"] == setting
    assert f"{setting}=" in body["detail"]
    assert any(word in body["detail"] for word in ("retry", "Cancel", "close"))


def assert_retry_after(response: httpx.Response, seconds: int) -> None:
    assert response.headers["Retry-After"] == str(seconds)
    assert response.json()["retry_after"] == seconds


def _serves(client: httpx.Client, path: str) -> bool:
    return client.get(path).status_code == 200


# -- queue ---------------------------------------------------------------------------------------


def _queued(engineer: str, pattern: str) -> dict[str, Any]:
    return {"engineer": engineer, "claims": [{"pattern": pattern}], "wait_seconds": 60}


async def _queue_scenario(server: CoordApi) -> None:
    async with server.async_client() as http:
        held = await http.post(
            "/claims", json={"engineer": "holder", "claims": [{"pattern": "q/**"}]}
        )
        assert held.status_code == 200, held.text

        async def waiting() -> bool:
            listed = await http.get("/requests", params={"queued": "true"})
            return bool(listed.json()["count"] == len(waiters))

        waiters: list[asyncio.Task[httpx.Response]] = []
        for engineer, pattern in [("w1", "q/1.ts"), ("w1", "q/2.ts"), ("w2", "q/3.ts")]:
            waiters.append(
                asyncio.create_task(http.post("/claims", json=_queued(engineer, pattern)))
            )
            await eventually(waiting, DEADLINE_SEC)  # the request is parked

        mine = await http.post("/claims", json=_queued("w1", "q/4.ts"))
        total = await http.post("/claims", json=_queued("w3", "q/5.ts"))
        without_wait = await http.post(
            "/claims", json={**_queued("w3", "q/5.ts"), "wait_seconds": 0}
        )

        assert_refusal(mine, 429, "rate_limited", "COORD_MAX_QUEUE_PER_ENGINEER")
        assert "DELETE /requests/{queue_id}" in mine.json()["detail"]
        assert_retry_after(mine, 5)
        assert_refusal(total, 429, "rate_limited", "COORD_MAX_QUEUE_TOTAL")
        assert "without wait_seconds" in total.json()["detail"]
        assert_retry_after(total, 5)
        assert without_wait.status_code == 409  # no queue entry asked for: the plain conflict

        released = await http.delete(f"/claims/{held.json()['claim_ids'][0]}")
        assert released.json()["released"] == 1
        answers = await asyncio.gather(*waiters)
    assert [answer.status_code for answer in answers] == [200, 200, 200]


def test_queue_caps_per_engineer_and_in_total(server: CoordApi) -> None:
    asyncio.run(_queue_scenario(server))


# -- event streams -------------------------------------------------------------------------------


def _connected(stream: httpx.Response) -> Iterator[str]:
    """Read the stream until the server says it is subscribed; the rest of its lines.

    Keep the answer: a line iterator that is dropped closes the connection with it.
    """
    lines = stream.iter_lines()
    for line in lines:
        if line == ": connected":
            return lines
    pytest.fail("the event stream ended before it was connected")


def test_event_streams_past_the_cap_are_refused(server: CoordApi) -> None:
    with (
        server.client() as first_http,
        server.client() as second_http,
        server.client() as http,
        first_http.stream("GET", "/events") as first,
    ):
        first_lines = _connected(first)
        with second_http.stream("GET", "/events") as second:
            second_lines = _connected(second)

            refused = http.get("/events", timeout=5)

            assert_refusal(refused, 429, "rate_limited", "COORD_MAX_EVENT_STREAMS")
            assert_retry_after(refused, 5)
            assert second_lines is not None
        # The second stream is closed: once the server has seen it go, there is room again,
        # while the first stays open.
        wait_until(lambda: _opens(http), DEADLINE_SEC, "a stream opened once the second was closed")
        assert not first.is_closed and first_lines is not None


def _opens(http: httpx.Client) -> bool:
    with http.stream("GET", "/events", params={"types": "claim_granted"}) as stream:
        if stream.status_code != 200:
            return False
        _connected(stream)
        return True


# -- /mcp bodies ---------------------------------------------------------------------------------

MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def _list_claims(padding: str = "") -> dict[str, Any]:
    return {
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "list_claims", "arguments": {}, "_meta": {"padding": padding}},
    }  # fmt: skip


def test_mcp_bodies_over_the_cap_are_refused_before_they_are_read(server: CoordApi) -> None:
    with server.client() as http:
        within = http.post("/mcp", json=_list_claims("x" * 3000), headers=MCP_HEADERS)
        over = http.post("/mcp", json=_list_claims("x" * 5000), headers=MCP_HEADERS)
        chunked = http.post(
            "/mcp", content=iter([b"{" + b" " * 3000, b" " * 3000 + b"}"]), headers=MCP_HEADERS
        )

    assert within.status_code == 200, within.text
    assert within.json()["result"]["structuredContent"]["ok"] is True
    for response in (over, chunked):  # declared too large, or found too large while read
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "payload_too_large"
        assert response.json()["limit"] == 4096


def test_mcp_bodies_default_to_one_mebibyte_like_every_route(coord_api: CoordApi) -> None:
    with coord_api.client() as http:
        over = http.post("/mcp", json=_list_claims("x" * 1024 * 1024), headers=MCP_HEADERS)
        within = http.post("/mcp", json=_list_claims("x" * 1000), headers=MCP_HEADERS)

    assert over.status_code == 413, over.text
    assert over.json()["limit"] == 1024 * 1024
    assert within.status_code == 200, within.text


# -- concurrent connections ----------------------------------------------------------------------


def test_connections_past_limit_concurrency_get_a_json_503(
    coord_api_factory: CoordApiFactory,
) -> None:
    server = coord_api_factory.start(env={"COORD_LIMIT_CONCURRENCY": "2"})
    with server.client() as first, server.client() as second, server.client() as third:
        # Each client keeps its connection open; the readiness probe's closed connection may
        # still be counted for a moment, so the first two wait until they are served.
        wait_until(
            lambda: first.get("/health").status_code == 200,
            DEADLINE_SEC,
            "the first connection served",
        )
        wait_until(
            lambda: second.get("/health").status_code == 200,
            DEADLINE_SEC,
            "the second connection served",
        )

        refused = third.get("/readyz")

        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/json"
        assert refused.headers["connection"] == "close"
        body = refused.json()
        assert body["code"] == "unavailable"
        assert body["cap"] == "COORD_LIMIT_CONCURRENCY"
        assert "COORD_LIMIT_CONCURRENCY=2" in body["detail"]
        assert_retry_after(refused, 1)
        first.close()
        wait_until(
            lambda: third.get("/readyz").status_code == 200,
            DEADLINE_SEC,
            "a connection served again",
        )
    assert "COORD_LIMIT_CONCURRENCY=2 reached" in server.stderr_text()


# -- release-request long-polls (in-process: the count of open long-polls is observable) ---------


@pytest.fixture
def long_poll_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in [name for name in os.environ if name.startswith("COORD_")]:
        monkeypatch.delenv(name)
    settings = load_settings(
        auth_token=TOKEN, database_path=tmp_path / "coord.db", max_long_polls=2
    )
    return create_app(settings)


async def _long_poll_scenario(app: Any) -> None:
    async with serve(app) as http:
        held = await http.post(
            "/claims", json={"engineer": "holder", "claims": [{"pattern": "a.ts"}]}
        )
        claim_id = held.json()["claim_ids"][0]
        filed = await http.post(
            "/requests", json={"claim_id": claim_id, "requester": "r", "reason": "need"}
        )
        request_id = filed.json()["id"]
        polls = app.state.coord.requests.polls
        waits = [
            asyncio.create_task(http.get(f"/requests/{request_id}", params={"wait_seconds": 60}))
            for _ in range(2)
        ]
        await eventually(lambda: polls.waiting == 2)

        polled = await http.get(f"/requests/{request_id}", params={"wait_seconds": 60})
        filing = await http.post("/requests", json={
            "claim_id": claim_id, "requester": "s", "reason": "me too", "wait_seconds": 60,
        })  # fmt: skip
        plain = await http.get(f"/requests/{request_id}")

        for refused in (polled, filing):
            assert_refusal(refused, 429, "rate_limited", "COORD_MAX_LONG_POLLS")
            assert "without wait_seconds" in refused.json()["detail"]
            assert_retry_after(refused, 5)
        assert plain.status_code == 200
        listed = await http.get("/requests", params={"claim_id": claim_id})
        assert [row["requester"] for row in listed.json()["requests"]] == ["r"]  # nothing filed

        answered = await http.post(
            f"/requests/{request_id}/respond", json={"decision": "denied", "engineer": "holder"}
        )
        assert answered.status_code == 200, answered.text
        answers = await asyncio.gather(*waits)
    assert [(a.status_code, a.json()["decision"]) for a in answers] == [(200, "denied")] * 2


def test_release_request_long_polls_past_the_cap_are_refused(long_poll_app: Any) -> None:
    asyncio.run(_long_poll_scenario(long_poll_app))
