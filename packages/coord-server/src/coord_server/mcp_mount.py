"""`/mcp`: the coord MCP tools over streamable HTTP, served by the service itself (SPEC §10.1).

The tools are coord-mcp's own definitions (no copy). Each tool call is an ordinary API request
sent back into this same application in-process (httpx's ASGI transport) with the caller's
bearer token, so auth, per-engineer identity, idempotency, metrics and the queue's long-poll
behave exactly as for any other client, on whichever replica took the MCP request. The
application's bearer auth has already checked the token before the request reaches `/mcp`, and
the principal it found is handed to the tools: an engineer named in an argument or header must
be one the token may act as (SPEC §13), refused with the HTTP routes' own 403 otherwise.

The MCP SDK and the tools are loaded by the first request to `/mcp`, not at import: they are
most of what importing the service used to cost, and most services start for the HTTP API.
Their session manager then runs in a task of the app's lifespan until the app stops.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup, TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth import Principal, principal_of
from coord_server.context import AppContext
from coord_server.http import MAX_JSON_BODY, read_body
from coord_server.settings import Settings

if TYPE_CHECKING:
    import httpx

    from coord_mcp.remote import RemoteEndpoint

MCP_PATH = "/mcp"

_ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - names a bind-all, binds nothing

_NOT_RUNNING = {"detail": "the MCP endpoint is not running yet; retry", "code": "unavailable"}


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


class LazyMcp:
    """The `/mcp` endpoint, built and started by its first request.

    `serving()` (entered in the app's lifespan) provides the task group the endpoint's session
    manager runs in; requests before it, or after it ends, get 503 as the endpoint itself
    answers them. Concurrent first requests build one endpoint between them.
    """

    def __init__(self, build: Callable[[], RemoteEndpoint], max_body: int) -> None:
        self._build = build
        self._max_body = max_body
        self._group: TaskGroup | None = None
        self._endpoint: BoundedBody | None = None
        # Made in `serving()`, on the event loop that uses them.
        self._stop: anyio.Event | None = None
        self._building: anyio.Lock | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._endpoint or await self._start()
        if endpoint is None:
            await JSONResponse(_NOT_RUNNING, status_code=503)(scope, receive, send)
            return
        await endpoint(scope, receive, send)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Let requests start the endpoint while the context lasts; stop it at the end."""
        stop = self._stop = anyio.Event()
        self._building = anyio.Lock()
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                yield
            finally:
                self._group, self._endpoint = None, None
                stop.set()  # the endpoint's task leaves its session manager, then ends

    async def _start(self) -> BoundedBody | None:
        if self._building is None:
            return None
        async with self._building:
            if self._endpoint is None and self._group is not None and self._stop is not None:
                remote = self._build()
                await self._group.start(_hold, remote.running, self._stop)
                self._endpoint = BoundedBody(remote, self._max_body)
            return self._endpoint


async def _hold(
    running: Callable[[], contextlib.AbstractAsyncContextManager[None]],
    stop: anyio.Event,
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    # The session manager's task group must be entered and left by one task: this one.
    async with running():
        task_status.started()
        await stop.wait()


def install_mcp(app: Starlette, max_body: int = MAX_JSON_BODY) -> LazyMcp:
    """Serve the MCP tools at `/mcp` of `app`; the endpoint starts with the first request.

    Request bodies over `max_body` bytes are refused with 413 before the SDK sees them. Returns
    the route's endpoint (what requests' scopes name, and metrics label by).
    """

    def build() -> RemoteEndpoint:
        from coord_mcp.remote import RemoteEndpoint  # noqa: PLC0415 - the MCP SDK, on first use

        ctx = getattr(app.state, "coord", None)
        hosts = allowed_hosts(ctx.settings) if isinstance(ctx, AppContext) else []
        return RemoteEndpoint(_loopback(app), _principal, hosts)

    lazy = LazyMcp(build, max_body)
    # Stateless JSON mode needs POST only: GET (a server event stream) and DELETE (ending an
    # MCP session) answer 405, which the MCP transport allows.
    app.router.routes.append(Route(MCP_PATH, endpoint=lazy, methods=["POST"]))
    outer_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(target: Any) -> AsyncIterator[Any]:
        async with outer_lifespan(target) as state, lazy.serving():
            yield state

    app.router.lifespan_context = lifespan
    return lazy


def _loopback(app: Starlette) -> Callable[[], httpx.AsyncBaseTransport]:
    import httpx  # noqa: PLC0415 - loaded with the MCP SDK, on first use

    def loopback() -> httpx.AsyncBaseTransport:
        # 500s come back as answers (the client turns them into errors), never as exceptions.
        return httpx.ASGITransport(app=app, raise_app_exceptions=False)

    return loopback


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
