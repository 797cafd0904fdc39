"""`/requests` queue views: list waiting entries, cancel one (SPEC §6).

`GET /requests` itself belongs to `routes.requests`, which hands `queued=true` to `list_queue`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.queue import CancelQueueResponse, QueueList
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response
from coord_server.routes._common import actor_of, queue_depth_header


async def list_queue(request: Request) -> Response:
    """`GET /requests?queued=true`: the waiting queue entries."""
    ctx = context(request)
    engineer = request.query_params.get("engineer") or None
    repo = principal_of(request).repo_for(request.query_params.get("repo") or None)
    entries = await ctx.desk.listing(engineer, repo)
    answer = QueueList(requests=entries, count=len(entries), total=len(entries))
    return model_response(answer, 200, queue_depth_header(ctx, engineer))


async def cancel_queue_entry(request: Request) -> Response:
    """`DELETE /requests/{queue_id}`: the waiter's call returns 409 at once.

    The path parameter is named like `GET /requests/{request_id}`'s, as one path must have one
    parameter name; its value here is a queue id.
    """
    ctx = context(request)
    queue_id = request.path_params["request_id"]
    actor = actor_of(request, request.query_params.get("engineer") or None)
    cancelled = await ctx.desk.cancel(queue_id, actor)
    return model_response(CancelQueueResponse(cancelled=cancelled, queue_id=queue_id))


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/requests/{request_id}", cancel_queue_entry, methods=["DELETE"]),
    ]
