"""Small pieces every route module uses: identity, query flags, the queue-depth header."""

from __future__ import annotations

from starlette.requests import Request

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.context import AppContext

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
