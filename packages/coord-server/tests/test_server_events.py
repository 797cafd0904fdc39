"""`GET /events`: the live stream over real HTTP, its filters, resume and catch-up."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from server_support import AUTH, claim_body, eventually
from starlette.applications import Starlette

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.service.live import Broadcaster, EventFilter, LiveEvent, follow
from coord_server.settings import Settings

pytestmark = pytest.mark.anyio

WAIT_SEC = 10.0
"""Deadline for anything the tests wait on; never reached when the code works."""


@dataclass
class Message:
    """One server-sent event (or a comment block)."""

    id: int | None = None
    data: dict[str, Any] | None = None
    comments: list[str] = field(default_factory=list)
    retry: int | None = None


class Stream:
    """Reads a `text/event-stream` answer message by message."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def message(self) -> Message:
        """The next message, comments included, within the deadline."""
        return await asyncio.wait_for(self._read(), WAIT_SEC)

    async def event(self) -> Message:
        """The next message that carries an event (skipping comments)."""
        while True:
            message = await self.message()
            if message.data is not None:
                return message

    async def _read(self) -> Message:
        message = Message()
        async for line in self._lines:
            if not line:
                return message
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comments.append(value)
            elif name == "id":
                message.id = int(value)
            elif name == "data":
                message.data = json.loads(value)
            elif name == "retry":
                message.retry = int(value)
        raise AssertionError("the stream ended")


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The app served by uvicorn on a loopback port, and a client for it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections queue here until uvicorn has started: no readiness polling
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2, log_config=None
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=AUTH, timeout=WAIT_SEC
        ) as client:
            yield client
    finally:
        server.should_exit = True
        await serving
        listener.close()


@asynccontextmanager
async def stream(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> AsyncIterator[Stream]:
    """An open `/events` stream, past its `connected` comment (so it is subscribed)."""
    async with client.stream("GET", "/events", params=query, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        opened = Stream(response)
        first = await opened.message()
        assert first.comments == ["connected"] and first.retry is not None
        yield opened


@pytest.fixture
async def live(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(make_settings())) as client:
        yield client


async def test_a_claim_granted_elsewhere_arrives_on_the_stream(live: httpx.AsyncClient) -> None:
    async with stream(live) as events:
        async with httpx.AsyncClient(base_url=live.base_url, headers=AUTH) as elsewhere:
            granted = await elsewhere.post("/claims", json=claim_body("alex", "src/a.ts"))
        message = await events.event()
    assert message.data is not None and message.id is not None
    assert message.data["event_type"] == "claim_granted"
    assert message.data["detail"]["claim_id"] == granted.json()["claim_ids"][0]
    assert message.data["detail"]["engineer"] == "alex"
    assert message.data["timestamp"].endswith("Z")


async def test_reconnecting_with_last_event_id_resumes_without_gaps(
    live: httpx.AsyncClient,
) -> None:
    async with stream(live) as events:
        for number in range(3):
            await live.post("/claims", json=claim_body("alex", f"src/{number}.ts"))
        seen = [await events.event() for _ in range(3)]
    last_id = seen[-1].id
    assert last_id is not None
    for number in range(3, 6):
        await live.post("/claims", json=claim_body("alex", f"src/{number}.ts"))
    async with stream(live, headers={"Last-Event-ID": str(last_id)}) as events:
        missed = [await events.event() for _ in range(3)]
        await live.post("/claims", json=claim_body("alex", "src/6.ts"))
        fresh = await events.event()
    ids = [message.id for message in [*seen, *missed, fresh] if message.id is not None]
    assert ids == sorted(ids) and len(set(ids)) == 7
    patterns = [m.data["detail"]["pattern"] for m in [*seen, *missed, fresh] if m.data]
    assert patterns == [f"src/{number}.ts" for number in range(7)]


async def test_query_last_event_id_and_filters(live: httpx.AsyncClient) -> None:
    for engineer, repo in [("alex", "acme/web"), ("sam", "acme/web"), ("alex", "acme/api")]:
        body = claim_body(engineer, "src/a.ts", repo=repo)
        granted = (await live.post("/claims", json=body)).json()
        await live.delete(f"/claims/{granted['claim_ids'][0]}")
    params = {
        "last_event_id": "0",
        "engineer": "alex",
        "repo": "acme/web",
        "types": "claim_released,queue_cancel",
    }
    async with stream(live, query=params) as events:
        released = await events.event()
        await live.post("/claims", json=claim_body("alex", "src/b.ts", repo="acme/web"))
        granted = (await live.post("/claims", json=claim_body("alex", "x", repo="acme/web"))).json()
        await live.delete(f"/claims/{granted['claim_ids'][0]}")
        next_release = await events.event()
    assert released.data is not None and next_release.data is not None
    assert released.data["event_type"] == next_release.data["event_type"] == "claim_released"
    assert released.data["detail"]["repo"] == "acme/web"
    assert next_release.data["detail"]["pattern"] == "x"


async def test_silence_is_broken_by_heartbeat_comments(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings())
    ctx: AppContext = app.state.coord
    ctx.live.heartbeat_sec = 0.01
    async with running(app) as client, stream(client) as events:
        beat = await events.message()
    assert beat.comments == ["heartbeat"] and beat.data is None


async def test_bad_filters_and_resume_points_are_422(live: httpx.AsyncClient) -> None:
    unknown = await live.get("/events", params={"types": "claim_granted,claim_stolen"})
    assert unknown.status_code == 422 and "claim_stolen" in unknown.json()["detail"]
    bad_id = await live.get("/events", headers={"Last-Event-ID": "abc"})
    assert bad_id.status_code == 422 and "Last-Event-ID" in bad_id.json()["detail"]
    anonymous = await live.get("/events", headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_a_subscriber_that_falls_behind_catches_up_from_the_log(
    client: httpx.AsyncClient,
) -> None:
    ctx: AppContext = client._transport.app.state.coord  # type: ignore[attr-defined]
    ctx.live.backlog_limit = 2
    ctx.live.heartbeat_sec = WAIT_SEC
    with ctx.live.subscribe() as subscription:
        events = follow(ctx.store, ctx.live, subscription, EventFilter(), ctx.live.horizon)
        for number in range(5):
            await client.post("/claims", json=claim_body("alex", f"src/{number}.ts"))
        await eventually(lambda: subscription.overflowed)
        received = [await asyncio.wait_for(anext(events), WAIT_SEC) for _ in range(5)]
        await client.post("/claims", json=claim_body("alex", "src/5.ts"))
        received.append(await asyncio.wait_for(anext(events), WAIT_SEC))
        await events.aclose()
    patterns = [json.loads(event.data)["detail"]["pattern"] for event in _events(received)]
    assert patterns == [f"src/{number}.ts" for number in range(6)]


async def test_closing_the_broadcaster_ends_every_stream(client: httpx.AsyncClient) -> None:
    ctx: AppContext = client._transport.app.state.coord  # type: ignore[attr-defined]
    broadcaster = Broadcaster(max_streams=10)
    broadcaster.heartbeat_sec = WAIT_SEC
    with broadcaster.subscribe() as subscription:
        events = follow(ctx.store, broadcaster, subscription, EventFilter(), 0)
        waiting = asyncio.ensure_future(anext(events))
        broadcaster.close()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, WAIT_SEC)
    assert broadcaster.subscribers == 0


def _events(items: list[LiveEvent | None]) -> list[LiveEvent]:
    return [item for item in items if item is not None]


async def test_the_stream_cap_counts_streams_that_have_not_begun() -> None:
    live = Broadcaster(max_streams=2)
    first, second = live.reserve(), live.reserve()  # two requests checked at the same moment
    with pytest.raises(CoordError) as refused:
        live.reserve()
    assert refused.value.code == ErrorCode.RATE_LIMITED
    with live.subscribe(first):  # the first stream begins: it takes its own slot's place
        assert live.subscribers == 1
        with pytest.raises(CoordError):
            live.reserve()
        live.release(second)  # the second caller left before its stream began
        live.release(second)  # and giving it back twice changes nothing
        third = live.reserve()
        with pytest.raises(CoordError):
            live.reserve()
        live.release(third)
