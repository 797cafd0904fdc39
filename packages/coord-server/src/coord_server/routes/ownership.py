"""`/config/ownership`: upload and read owners.yaml, raw YAML both ways (SPEC §8, operator only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.ownership import OwnershipSummary
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response, read_body

YAML = "application/yaml; charset=utf-8"


def require_operator(request: Request, action: str) -> None:
    """Refuse (403) a caller that is not the operator; without auth everyone is."""
    principal_of(request).require_operator(action)


async def upload_ownership(request: Request) -> Response:
    """`POST /config/ownership`: the raw YAML body (1 MiB at most) becomes the rules in force."""
    require_operator(request, "uploading owners.yaml")
    raw = await read_body(request)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CoordError(
            ErrorCode.INVALID_OWNERSHIP,
            f"owners.yaml refused: the body is not UTF-8 text (byte {exc.start}); send the "
            "file as it is saved, encoded as UTF-8.",
            rule="encoding",
        ) from None
    config, reclassified = await context(request).ownership.upload(text)
    answer = OwnershipSummary(
        areas=len(config.areas),
        hard_patterns=list(config.hard_patterns()),
        shared_files=list(config.shared_patterns()),
        suggested_splits=len(config.suggested_splits),
        reclassified_claims=reclassified,
    )
    return model_response(answer)


async def read_ownership(request: Request) -> Response:
    """`GET /config/ownership`: the document in force as it was written; 204 when there is none."""
    require_operator(request, "reading owners.yaml")
    text = context(request).ownership.text
    if not text:
        return Response(status_code=204)
    return Response(text, media_type=YAML)


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/config/ownership", upload_ownership, methods=["POST"]),
        Route("/config/ownership", read_ownership, methods=["GET"]),
    ]
