"""`/admin/outbox`: the webhook outbox for operators: stats, tail, retry, purge (SPEC §9, §11)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.outbox import (
    OutboxPurgeRequest,
    OutboxPurgeResponse,
    OutboxRetryRequest,
    OutboxRetryResponse,
    OutboxState,
    OutboxTail,
)
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_model, validate_query


class TailQuery(BaseModel):
    """Query of `GET /admin/outbox/tail`."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=1000)
    state: OutboxState | None = None


def _operator(request: Request) -> AppContext:
    """The app context, when the caller is the operator; 403 otherwise."""
    principal_of(request).require_operator("the webhook outbox")
    return context(request)


async def stats(request: Request) -> Response:
    """`GET /admin/outbox/stats`: deliveries of the last 24 h per event type and state."""
    ctx = _operator(request)
    return model_response(await ctx.outbox.stats())


async def tail(request: Request) -> Response:
    """`GET /admin/outbox/tail?limit=&state=`: the newest rows first."""
    ctx = _operator(request)
    query = validate_query(TailQuery, dict(request.query_params))
    deliveries = await ctx.outbox.tail(query.limit, query.state)
    return model_response(OutboxTail(deliveries=deliveries, count=len(deliveries)))


async def retry(request: Request) -> Response:
    """`POST /admin/outbox/retry`: failed or exhausted rows get a fresh budget, due now."""
    ctx = _operator(request)
    body = await read_model(request, OutboxRetryRequest)
    rearmed = await ctx.outbox.retry(body.states, body.delivery_ids)
    return model_response(OutboxRetryResponse(rearmed=rearmed))


async def purge(request: Request) -> Response:
    """`POST /admin/outbox/purge`: delete delivered or exhausted rows older than N days."""
    ctx = _operator(request)
    body = await read_model(request, OutboxPurgeRequest)
    purged = await ctx.outbox.purge(body.older_than_days, body.states)
    return model_response(OutboxPurgeResponse(purged=purged))


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/admin/outbox/stats", stats, methods=["GET"]),
        Route("/admin/outbox/tail", tail, methods=["GET"]),
        Route("/admin/outbox/retry", retry, methods=["POST"]),
        Route("/admin/outbox/purge", purge, methods=["POST"]),
    ]
