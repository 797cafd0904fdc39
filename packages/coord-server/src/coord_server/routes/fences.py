"""`/fences/check`: was each changed path edited under a valid claim of the caller? (SPEC §16:
a claim's fence, carried in commit trailers, proves it was the newest grant for its scope.)"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_engine.matching import is_repo_path
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.fences import FenceCheckRequest, FenceEntry
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response, read_model
from coord_server.routes._common import acting_engineer
from coord_server.service.convert import engine_errors


async def check(request: Request) -> Response:
    """`POST /fences/check`: one verdict per entry, in the order sent."""
    body = await read_model(request, FenceCheckRequest)
    engineer = acting_engineer(request, body.engineer)
    repo = principal_of(request).repo_for(body.repo)
    _check_paths(body.entries)
    with engine_errors():  # a path past the matching budget is a 400 naming it, never a 500
        answer = await context(request).fences.check(engineer, repo, body.entries)
    return model_response(answer, 200)


def _check_paths(entries: Sequence[FenceEntry]) -> None:
    for index, entry in enumerate(entries):
        if not is_repo_path(entry.path):
            raise CoordError(
                ErrorCode.VALIDATION_ERROR,
                f"invalid request: body.entries.{index}.path: {entry.path!r} is not a "
                "repo-relative path (send it as `git diff --name-only` prints it, e.g. "
                "'src/app.py': no leading '/', no '.' or '..' segment)",
                errors=[{"loc": ["body", "entries", index, "path"], "msg": "not a repo path",
                         "type": "value_error"}],
            )  # fmt: skip


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [Route("/fences/check", check, methods=["POST"])]
