"""The coord tools over streamable HTTP, as an ASGI endpoint a coord service mounts at `/mcp`.

Same tool definitions as the stdio bridge; only the caller differs. Each MCP request acts with
the bearer token it arrived with and as the principal the service found for it (SPEC §13: on
`/mcp` the identity is the token's, and no argument or header overrides it), with identity
defaults from its headers:

- `X-Coord-Session`: session id for claims and activity (otherwise calls carry no session);
- `X-Coord-Repo`: repository id `owner/name`;
- `X-Coord-Branch`: branch recorded on claims;
- `X-Coord-User`: engineer for calls that name none (within the token's engineer).

The endpoint is stateless (no MCP session lives in the process) and answers in JSON, so any
replica behind a load balancer can serve any request. The MCP SDK's DNS-rebinding protection
is on: a request whose `Host` (or `Origin`) is not an allowed one is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager

import httpx
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from coord_mcp.caller import Caller, Hints, Identity, Principal
from coord_mcp.server import build_server
from coord_protocol.client import AsyncCoordClient, ClientConfig

INTERNAL_BASE_URL = "http://coord.internal"
"""Base URL of the tools' calls: the transport decides where they really go."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
"""Names a client on the service's own machine reaches it by: always allowed."""

PrincipalOf = Callable[[object | None], Principal | None]
"""The principal the service found for the transport's request (None where there is none)."""

REMOTE_HINTS = Hints(
    fix_auth=(
        "The service refused this connection's bearer token: configure your MCP client to "
        "send `Authorization: Bearer <token>` with a valid coord token (the service's operator "
        "has it; a service started by `coord start` keeps it in ~/.coord/token), then reconnect."
    ),
    fix_unreachable="The coord service failed to answer itself; try again, then tell its operator.",
    fix_identity=(
        "The service does not know which engineer you are: configure your MCP client to send "
        "the header `X-Coord-User: <engineer>` (or use a per-engineer token), then reconnect."
    ),
)


class RemoteEndpoint:
    """ASGI endpoint serving the coord tools; each call goes through `transport()`.

    Serves only inside `running()`, which the hosting app enters in its lifespan (each entry
    gets a fresh session manager, so an app may be started more than once).
    """

    def __init__(
        self,
        transport: Callable[[], httpx.AsyncBaseTransport],
        principal_of: PrincipalOf | None = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self._transport = transport
        self._principal_of = principal_of
        self._security = transport_security(allowed_hosts)
        self.server = build_server(self._caller)
        self._manager: StreamableHTTPSessionManager | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one MCP HTTP request."""
        manager = self._manager
        if manager is None:
            body = {"detail": "the MCP endpoint is not running yet; retry", "code": "unavailable"}
            await JSONResponse(body, status_code=503)(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the endpoint's task group for as long as the context lasts."""
        manager = StreamableHTTPSessionManager(
            app=self.server,
            json_response=True,
            stateless=True,
            security_settings=self._security,
        )
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    @asynccontextmanager
    async def _caller(self, request: object | None) -> AsyncIterator[Caller]:
        headers = _headers(request)
        identity = identity_from_headers(headers)
        identity.principal = self._principal_of(request) if self._principal_of else None
        config = ClientConfig(
            base_url=INTERNAL_BASE_URL,
            token=bearer_token(headers),
            session_id=identity.session_id,
        )
        async with AsyncCoordClient(config, transport=self._transport()) as client:
            yield Caller(client=client, identity=identity, hints=REMOTE_HINTS)


def _headers(request: object | None) -> Mapping[str, str]:
    # The SDK hands over the HTTP request it received (a Starlette request) as an object.
    headers = getattr(request, "headers", None)
    return headers if isinstance(headers, Mapping) else {}


def identity_from_headers(headers: Mapping[str, str]) -> Identity:
    """Identity defaults of a remote caller, from its `X-Coord-*` headers."""
    return Identity(
        session_id=headers.get("x-coord-session") or None,
        repo_id=headers.get("x-coord-repo") or None,
        branch=headers.get("x-coord-branch") or None,
        user=headers.get("x-coord-user") or None,
        user_source="the X-Coord-User header",
    )


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def transport_security(hosts: Iterable[str]) -> TransportSecuritySettings:
    """DNS-rebinding protection allowing the loopback names and `hosts`, on any port.

    A web page the victim opens can point its own domain at the service's address; its
    requests then carry the attacker's `Host` (and `Origin`), which is what this refuses.
    `*` allows any host (the protection is then off: only for a proxy that checks `Host`).
    """
    names = [*LOOPBACK_HOSTS, *(host.strip() for host in hosts if host.strip())]
    if "*" in names:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    allowed = [form for name in names for form in (name, f"{name}:*")]
    origins = [f"{scheme}://{host}" for host in allowed for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed, allowed_origins=origins
    )
