"""`/mcp`: the coord MCP tools over streamable HTTP, served by the service itself (SPEC §10.1).

The tools are coord-mcp's own definitions (no copy). Each tool call is an ordinary API request
sent back into this same application in-process (httpx's ASGI transport) with the caller's
bearer token, so auth, per-engineer identity, idempotency, metrics and the queue's long-poll
behave exactly as for any other client, on whichever replica took the MCP request. The
application's bearer auth has already checked the token before the request reaches `/mcp`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coord_mcp.remote import RemoteEndpoint
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.http import MAX_JSON_BODY, read_body

MCP_PATH = "/mcp"


class BoundedBody:
    """Reads the body first, refusing (413) one over `limit` bytes, then hands it to `app`.

    The MCP SDK would read any body whole into memory; read here, no request can make the
    service hold more than `limit` bytes for it.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(Request(scope, receive), self.limit)
        if not body.strip():  # the SDK would answer a bare 400 without a content type
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                "POST /mcp takes one JSON-RPC message as its body (Content-Type: "
                "application/json); the body is empty.",
            )
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:  # what follows the body: the client hanging up
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def install_mcp(app: Starlette, max_body: int = MAX_JSON_BODY) -> BoundedBody:
    """Serve the MCP tools at `/mcp` of `app`, running the endpoint inside the app's lifespan.

    Request bodies over `max_body` bytes are refused with 413 before the SDK sees them. Returns
    the route's endpoint (what requests' scopes name, and metrics label by).
    """

    def loopback() -> httpx.AsyncBaseTransport:
        # 500s come back as answers (the client turns them into errors), never as exceptions.
        return httpx.ASGITransport(app=app, raise_app_exceptions=False)

    endpoint = RemoteEndpoint(loopback)
    # Stateless JSON mode needs POST only: GET (a server event stream) and DELETE (ending an
    # MCP session) answer 405, which the MCP transport allows.
    bounded = BoundedBody(endpoint, max_body)
    app.router.routes.append(Route(MCP_PATH, endpoint=bounded, methods=["POST"]))
    outer_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        async with outer_lifespan(target) as state, endpoint.running():
            yield state

    app.router.lifespan_context = lifespan
    return bounded
