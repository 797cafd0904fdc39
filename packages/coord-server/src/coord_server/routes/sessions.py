"""`/sessions/{id}`: end a session's claims (SPEC §2); read its inbox (SPEC §7)."""

from __future__ import annotations

import re

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol._base import SESSION_ID_PATTERN, UtcDatetime
from coord_protocol.claims import ReleaseResponse
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response, validate_query

_SESSION = re.compile(SESSION_ID_PATTERN)


async def release_session(request: Request) -> Response:
    """`POST /sessions/{id}/release?repo=`."""
    ctx = context(request)
    session_id = _session_id(request)
    repo = principal_of(request).repo_for(request.query_params.get("repo") or None)
    await ctx.touch(request, session_id)  # 403 first when the session is someone else's
    released = await ctx.holdings.release_session(session_id, repo)
    return model_response(ReleaseResponse(released=len(released), claim_ids=released))


class InboxQuery(BaseModel):
    """Query of `GET /sessions/{id}/pending_requests`."""

    since: UtcDatetime | None = None
    """Only items newer than this (what a poller has not seen yet)."""


async def pending_requests(request: Request) -> Response:
    """`GET /sessions/{id}/pending_requests?since=`: the holder's inbox."""
    ctx = context(request)
    session_id = _session_id(request)
    query = validate_query(InboxQuery, dict(request.query_params))
    await ctx.touch(request, session_id)
    repo = principal_of(request).repo
    return model_response(await ctx.inbox.pending(session_id, query.since, repo))


def _session_id(request: Request) -> str:
    session_id: str = request.path_params["session_id"]
    if not _SESSION.fullmatch(session_id):
        raise CoordError(
            ErrorCode.INVALID_SESSION, "session ids are 1-128 characters of A-Z a-z 0-9 . _ : -"
        )
    return session_id


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/sessions/{session_id}/release", release_session, methods=["POST"]),
        Route("/sessions/{session_id}/pending_requests", pending_requests, methods=["GET"]),
    ]
