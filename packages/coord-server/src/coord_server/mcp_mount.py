"""`/mcp`: the coord MCP tools over streamable HTTP, served by the service itself (SPEC §10.1).

The tools are coord-mcp's own definitions (no copy). Each tool call is an ordinary API request
sent back into this same application in-process (httpx's ASGI transport) with the caller's
bearer token, so auth, per-engineer identity, idempotency, metrics and the queue's long-poll
behave exactly as for any other client, on whichever replica took the MCP request. The
application's bearer auth has already checked the token before the request reaches `/mcp`, and
the principal it found is handed to the tools: an engineer named in an argument or header must
be one the token may act as (SPEC §13), refused with the HTTP routes' own 403 otherwise.
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
from coord_server.auth import Principal, principal_of
from coord_server.context import AppContext
from coord_server.http import MAX_JSON_BODY, read_body
from coord_server.settings import Settings

MCP_PATH = "/mcp"
_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - names a bind-all, binds nothing


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

    ctx = getattr(app.state, "coord", None)
    hosts = allowed_hosts(ctx.settings) if isinstance(ctx, AppContext) else []
    endpoint = RemoteEndpoint(loopback, _principal, hosts)
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


def _principal(request: object | None) -> Principal | None:
    # The MCP SDK hands the tools the Starlette request the gate saw.
    return principal_of(request) if isinstance(request, Request) else None


def allowed_hosts(settings: Settings) -> list[str]:
    """`Host` names `/mcp` answers besides the loopback ones: COORD_MCP_ALLOWED_HOSTS, and the
    bind address when it is a specific one (clients that dial an address send it as `Host`)."""
    host = settings.bind_host.strip()
    if host in _ANY_ADDRESS:
        return list(settings.mcp_allowed_hosts)
    return [*settings.mcp_allowed_hosts, f"[{host}]" if ":" in host else host]
