"""Small pieces every route module uses: identity, query flags, the queue-depth header."""

from __future__ import annotations

from collections.abc import AsyncIterable

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth import principal_of
from coord_server.auth.principal import Actor
from coord_server.context import AppContext
from coord_server.service.live import Broadcaster, StreamSlot

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off"})


def require_engineer(engineer: str | None, field: str = "engineer") -> str:
    """The acting engineer, or a 422 naming the missing field."""
    if engineer:
        return engineer
    raise CoordError(
        ErrorCode.VALIDATION_ERROR,
        f"invalid request: body.{field}: Field required (name who acts, e.g. 'alex/claude/main')",
        errors=[{"loc": ["body", field], "msg": "Field required", "type": "missing"}],
    )


def acting_engineer(request: Request, named: str | None, field: str = "engineer") -> str:
    """The engineer a request acts as (SPEC §13): the one it names, if the token may act as
    it (else 403), or the engineer token's own; 422 when the operator names nobody."""
    return require_engineer(principal_of(request).acting(named, field), field)


def actor_of(request: Request, named: str | None, field: str = "engineer") -> Actor:
    """Whose work the request may touch: the named engineer's only, the token's namespace, or
    (the operator naming nobody) anyone's."""
    return principal_of(request).actor(named, field)


def query_flag(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter; anything but a recognised spelling is a 422."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise CoordError(
        ErrorCode.VALIDATION_ERROR,
        f"invalid request: query.{name}: expected true or false, got {raw!r}",
        errors=[{"loc": ["query", name], "msg": "expected a boolean", "type": "bool_parsing"}],
    )


def queue_depth_header(ctx: AppContext, engineer: str | None) -> dict[str, str]:
    """`X-Coord-Queue-Depth`: the calling engineer's waiting entries, when the engineer is known."""
    if not engineer:
        return {}
    return {"X-Coord-Queue-Depth": str(ctx.desk.depth(engineer=engineer))}


async def disconnected(request: Request) -> object:
    """Returns when the caller hangs up (the body has been read, so the next message the
    server sends is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        continue
    return None


class ReservedStream(StreamingResponse):
    """An event stream holding a slot under COORD_MAX_EVENT_STREAMS from the request's check on.
    The slot is given back however the response ends: its body may never start at all when the
    caller leaves first."""

    def __init__(
        self,
        content: AsyncIterable[str],
        live: Broadcaster,
        slot: StreamSlot,
        headers: dict[str, str],
    ) -> None:
        super().__init__(content, media_type="text/event-stream", headers=headers)
        self._live = live
        self._slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._live.release(self._slot)
