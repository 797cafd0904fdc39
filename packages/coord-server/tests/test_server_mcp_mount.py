"""`/mcp` is built by its first request: before that, the service has not loaded the MCP SDK.

The life cycle is checked on a stand-in endpoint (started once for concurrent first requests,
stopped with the app, started afresh when the app starts again); the real endpoint answers its
first request through the application as `create_app` builds it; and a fresh interpreter shows
that starting the service and serving the HTTP API loads neither the SDK nor Alembic nor httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_support import AUTH, TOKEN
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from coord_server.app import create_app
from coord_server.mcp_mount import LazyMcp
from coord_server.settings import Settings
from coord_server.storage import make_engine, migrate, sqlite_url

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "probe", "version": "0"}},
}  # fmt: skip
MCP_HEADERS = {**AUTH, "Accept": "application/json, text/event-stream", "Host": "localhost"}
"""A loopback Host: /mcp refuses others (DNS-rebinding protection)."""


class StandIn:
    """An endpoint that counts how often it is started and stopped."""

    def __init__(self) -> None:
        self.started = 0
        self.stopped = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.started += 1
        try:
            yield
        finally:
            self.stopped += 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"started": self.started})(scope, receive, send)


def stand_in_app() -> tuple[Starlette, list[StandIn]]:
    built: list[StandIn] = []

    def build() -> Any:
        built.append(StandIn())
        return built[-1]

    lazy = LazyMcp(build, max_body=1024)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with lazy.serving():
            yield

    routes = [Route("/mcp", endpoint=lazy, methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan), built


def client_of(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://coord.test")


async def test_concurrent_first_requests_start_one_endpoint_that_stops_with_the_app() -> None:
    app, built = stand_in_app()

    async with app.router.lifespan_context(app), client_of(app) as client:
        answers = await asyncio.gather(*(client.post("/mcp", content=b"{}") for _ in range(5)))
        assert [answer.status_code for answer in answers] == [200] * 5
        assert len(built) == 1
        assert (built[0].started, built[0].stopped) == (1, 0)

    assert built[0].stopped == 1


async def test_outside_the_apps_life_the_endpoint_answers_503() -> None:
    app, built = stand_in_app()

    async with client_of(app) as client:
        before = await client.post("/mcp", content=b"{}")
    async with app.router.lifespan_context(app), client_of(app) as client:
        assert (await client.post("/mcp", content=b"{}")).status_code == 200
    async with client_of(app) as client:
        after = await client.post("/mcp", content=b"{}")

    assert (before.status_code, after.status_code) == (503, 503)
    assert after.json()["code"] == "unavailable"
    assert len(built) == 1


async def test_an_app_started_again_starts_a_new_endpoint() -> None:
    app, built = stand_in_app()

    for _ in range(2):
        async with app.router.lifespan_context(app), client_of(app) as client:
            assert (await client.post("/mcp", content=b"{}")).status_code == 200

    assert [(endpoint.started, endpoint.stopped) for endpoint in built] == [(1, 1), (1, 1)]


async def test_the_first_mcp_request_is_answered(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings())

    async with app.router.lifespan_context(app), client_of(app) as client:
        first = await client.post("/mcp", json=INITIALIZE, headers=MCP_HEADERS)
        listing = await client.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
            headers={**MCP_HEADERS, "mcp-protocol-version": "2025-06-18"},
        )

    assert first.status_code == 200, first.text
    assert first.json()["result"]["serverInfo"]["name"] == "coord"
    assert "claim_files" in {tool["name"] for tool in listing.json()["result"]["tools"]}


PROBE = """
import asyncio, json, os, sys
from pathlib import Path
import coord_server.__main__
TOKEN = os.environ["PROBE_TOKEN"]
from coord_server.app import create_app
from coord_server.settings import load_settings

async def status(app, method, path, body=b""):
    sent, done = [], asyncio.Event()
    async def receive():
        if not sent:
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}
    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()
    headers = [(b"host", b"coord.test"), (b"authorization", b"Bearer " + TOKEN.encode()),
               (b"content-type", b"application/json")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "scheme": "http", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("coord.test", 80)}
    await app(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")

async def main():
    app = create_app(load_settings(auth_token=TOKEN, database_path=Path(sys.argv[1])))
    claim = json.dumps({"engineer": "alex", "claims": [{"pattern": "a.ts"}]}).encode()
    async with app.router.lifespan_context(app):
        statuses = [await status(app, "GET", "/readyz")]
        statuses.append(await status(app, "POST", "/claims", claim))
    heavy = ("mcp", "coord_mcp", "alembic", "httpx")
    loaded = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
    print(json.dumps({"statuses": statuses, "loaded": loaded}))

asyncio.run(main())
"""


def test_starting_and_serving_the_api_loads_no_mcp_sdk_alembic_or_httpx(tmp_path: Path) -> None:
    database = tmp_path / "coord.db"
    engine = make_engine(sqlite_url(database))
    migrate(engine)  # at head: the start has nothing to migrate
    engine.dispose()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    environment["PROBE_TOKEN"] = TOKEN  # a token never goes on a command line

    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(database)], capture_output=True, text=True,
        env=environment, check=False, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"statuses": [200, 200], "loaded": []}
