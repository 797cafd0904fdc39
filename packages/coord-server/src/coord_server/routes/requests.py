"""`/requests`: release requests and their answers (SPEC §7); `queued=true` lists the queue."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol._base import SessionId
from coord_protocol.requests import (
    CreateReleaseRequest,
    ReleaseRequestList,
    RequestEventList,
    RequestState,
    RespondRequest,
)
from coord_protocol.vocab import RequestDecision
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_body, read_model, validate_query
from coord_server.paging import decode_cursor
from coord_server.routes import queue
from coord_server.routes._common import (
    acting_engineer,
    actor_of,
    query_flag,
    queue_depth_header,
)

LongPoll = Annotated[int, Field(ge=0, le=600)]


async def create_request(request: Request) -> Response:
    """`POST /requests`: file a request (201), optionally waiting for the decision."""
    ctx = context(request)
    raw = await read_body(request)
    scope = f"{principal_of(request).key}:POST /requests"
    key = request.headers.get("idempotency-key")
    return await ctx.idempotency.run(key, scope, raw, lambda: _file(ctx, request))


async def _file(ctx: AppContext, request: Request) -> Response:
    body = await read_model(request, CreateReleaseRequest)
    requester = acting_engineer(request, body.requester, "requester")
    await ctx.touch(request, body.session_id, requester)
    ctx.requests.check_room(body.wait_seconds)
    request_id = await ctx.requests.file(body, requester, principal_of(request))
    await ctx.requests.wait(request_id, body.wait_seconds)
    answer = await ctx.requests.get(request_id)
    return model_response(answer, 201, queue_depth_header(ctx, requester))


class RequestQuery(BaseModel):
    """Query of `GET /requests` (without `queued=true`)."""

    engineer: str | None = None
    requester: str | None = None
    holder: str | None = None
    state: RequestState | None = None
    decision: RequestDecision | None = None
    claim_id: str | None = None
    repo: str | None = None
    session_id: SessionId | None = None
    limit: int = Field(default=200, ge=1, le=1000)
    cursor: str | None = Field(default=None, max_length=400)


async def list_requests(request: Request) -> Response:
    """`GET /requests`: release requests, newest first; with `queued=true`, the queue."""
    if query_flag(request, "queued", False):
        return await queue.list_queue(request)
    ctx = context(request)
    values = {k: v for k, v in request.query_params.items() if k != "queued"}
    query = validate_query(RequestQuery, values)
    principal = principal_of(request)
    await ctx.touch(request, query.session_id)
    filters: dict[str, str | None] = {
        "requester": query.requester,
        "holder": query.holder,
        "state": query.state,
        "decision": None if query.decision is None else str(query.decision),
        "claim_id": query.claim_id,
        "repo": principal.repo_for(query.repo),
    }
    reader = principal.actor(None)
    page = (decode_cursor(query.cursor), query.limit)
    found = await ctx.requests.listing(filters, query.engineer, page, reader)
    answer = ReleaseRequestList(
        requests=found.rows,
        count=len(found.rows),
        total=found.total,
        next_cursor=found.next_cursor,
    )
    return model_response(answer, 200, queue_depth_header(ctx, query.engineer))


class WaitQuery(BaseModel):
    """Query of `GET /requests/{id}`."""

    wait_seconds: LongPoll = 0


async def get_request(request: Request) -> Response:
    """`GET /requests/{id}`; `wait_seconds` long-polls until it leaves `pending`."""
    ctx = context(request)
    request_id = request.path_params["request_id"]
    query = validate_query(WaitQuery, dict(request.query_params))
    await ctx.requests.get(request_id, principal_of(request))  # 404 or 403 before waiting
    await ctx.requests.wait(request_id, query.wait_seconds)
    return model_response(await ctx.requests.get(request_id))


async def request_events(request: Request) -> Response:
    """`GET /requests/{id}/events`: the audit timeline, oldest first."""
    ctx = context(request)
    events = await ctx.requests.timeline(request.path_params["request_id"], principal_of(request))
    return model_response(RequestEventList(events=events, count=len(events)))


async def respond(request: Request) -> Response:
    """`POST /requests/{id}/respond`: the holder's decision."""
    ctx = context(request)
    body = await read_model(request, RespondRequest)
    actor = actor_of(request, body.engineer)
    await ctx.touch(request, None, actor.engineer)
    answer = await ctx.requests.respond(request.path_params["request_id"], body, actor)
    return model_response(answer, 200, queue_depth_header(ctx, answer.holder))


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/requests", create_request),
    ("GET", "/requests", list_requests),
    ("GET", "/requests/{request_id}", get_request),
    ("GET", "/requests/{request_id}/events", request_events),
    ("POST", "/requests/{request_id}/respond", respond),
]


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [Route(path, endpoint, methods=[method]) for method, path, endpoint in ROUTES]
