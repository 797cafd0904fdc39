"""`/sessions/{id}/release`: end a session's claims; the session may claim again (SPEC §2)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol._base import SESSION_ID_PATTERN
from coord_protocol.claims import ReleaseResponse
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.context import context
from coord_server.http import model_response

_SESSION = re.compile(SESSION_ID_PATTERN)


async def release_session(request: Request) -> Response:
    """`POST /sessions/{id}/release?repo=`."""
    ctx = context(request)
    session_id = request.path_params["session_id"]
    if not _SESSION.match(session_id):
        raise CoordError(
            ErrorCode.INVALID_SESSION, "session ids are 1-128 characters of A-Z a-z 0-9 . _ : -"
        )
    released = ctx.claims.release_session(session_id, request.query_params.get("repo") or None)
    ctx.touch(request, session_id)
    return model_response(ReleaseResponse(released=len(released), claim_ids=released))


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [Route("/sessions/{session_id}/release", release_session, methods=["POST"])]
