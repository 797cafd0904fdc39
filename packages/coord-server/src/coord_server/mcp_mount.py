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
from starlette.routing import Route

from coord_mcp.remote import RemoteEndpoint

MCP_PATH = "/mcp"


def install_mcp(app: Starlette) -> RemoteEndpoint:
    """Serve the MCP tools at `/mcp` of `app`, running the endpoint inside the app's lifespan."""

    def loopback() -> httpx.AsyncBaseTransport:
        # 500s come back as answers (the client turns them into errors), never as exceptions.
        return httpx.ASGITransport(app=app, raise_app_exceptions=False)

    endpoint = RemoteEndpoint(loopback)
    # Stateless JSON mode needs POST only: GET (a server event stream) and DELETE (ending an
    # MCP session) answer 405, which the MCP transport allows.
    app.router.routes.append(Route(MCP_PATH, endpoint=endpoint, methods=["POST"]))
    outer_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        async with outer_lifespan(target) as state, endpoint.running():
            yield state

    app.router.lifespan_context = lifespan
    return endpoint
