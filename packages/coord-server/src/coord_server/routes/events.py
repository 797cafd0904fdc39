"""`GET /events`: the live event stream, as server-sent events.

Each event is one SSE message: `id:` is its row id in the durable event log and `data:` the
same JSON a webhook receives (`{"event_type", "timestamp", "detail"}`). A client that
reconnects with `Last-Event-ID` (browsers send it on their own) or `?last_event_id=` gets every
matching event after that id, then the live feed, without gaps or repeats.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import EventType
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.routes._common import ReservedStream
from coord_server.service.live import EventFilter, LiveEvent, StreamSlot, follow

RETRY_MS = 2000
"""How long a browser waits before reconnecting a dropped stream."""

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""Keep caches and buffering proxies from holding events back."""


async def stream_events(request: Request) -> Response:
    """`GET /events?repo=&engineer=&types=a,b&last_event_id=`: server-sent events."""
    ctx = context(request)
    event_filter = EventFilter(
        repo=principal_of(request).repo_for(request.query_params.get("repo") or None),
        engineer=request.query_params.get("engineer") or None,
        types=_types(request),
    )
    after_id = _resume_point(request)
    slot = ctx.live.reserve()  # 429 now, while an error can still be the answer
    return ReservedStream(
        _messages(ctx, event_filter, after_id, slot), ctx.live, slot, headers=STREAM_HEADERS
    )


async def _messages(
    ctx: AppContext, event_filter: EventFilter, after_id: int | None, slot: StreamSlot
) -> AsyncIterator[str]:
    with ctx.live.subscribe(slot) as subscription:
        start = ctx.live.horizon if after_id is None else after_id
        # Sent once subscribed: a client that has read it misses nothing committed later.
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        events = follow(ctx.store, ctx.live, subscription, event_filter, start)
        async for event in events:
            yield ": heartbeat\n\n" if event is None else _message(event)


def _message(event: LiveEvent) -> str:
    # The JSON is one line (json.dumps escapes line breaks inside strings), as `data:` needs.
    return f"id: {event.id}\ndata: {event.data}\n\n"


def _types(request: Request) -> frozenset[str]:
    names = {
        name.strip()
        for value in request.query_params.getlist("types")
        for name in value.split(",")
        if name.strip()
    }
    known = {str(event_type) for event_type in EventType}
    unknown = sorted(names - known)
    if unknown:
        raise _invalid(
            "types",
            f"unknown event type(s) {', '.join(unknown)}; use a comma list of "
            f"{', '.join(sorted(known))}",
        )
    return frozenset(names)


def _resume_point(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not (value.isascii() and value.isdigit()):
        raise _invalid(
            "last_event_id",
            f"Last-Event-ID must be the id of an event received earlier (an integer), got {raw!r}",
        )
    return int(value)


def _invalid(field: str, message: str) -> CoordError:
    return CoordError(
        ErrorCode.VALIDATION_ERROR,
        f"invalid request: query.{field}: {message}",
        errors=[{"loc": ["query", field], "msg": message, "type": "value_error"}],
    )


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [Route("/events", stream_events, methods=["GET"])]
