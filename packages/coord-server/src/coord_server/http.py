"""Reading requests and writing answers: bounded bodies, models in, models out."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from coord_protocol.errors import CoordError, ErrorCode

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_JSON_BODY = 1024 * 1024
"""Largest JSON body accepted (1 MiB); larger ones get 413 before they are read whole."""

JSON = "application/json"


class BodyValidationError(Exception):
    """A body or query that does not fit the schema: becomes 422 with field locations."""

    def __init__(self, where: str, error: ValidationError) -> None:
        super().__init__(str(error))
        self.where = where
        self.error = error


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The raw body, refusing (413) one that declares or turns out to be over `limit` bytes.

    Read once per request and kept in the scope, so idempotency and parsing share it.
    """
    cached: bytes | None = request.scope.get("coord.body")
    if cached is not None:
        return cached
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request.scope["coord.body"] = body
    return body


def _too_large(limit: int) -> CoordError:
    return CoordError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"request body is larger than {limit} bytes; send fewer items per call.",
        limit=limit,
    )


async def read_model(request: Request, model: type[ModelT]) -> ModelT:
    """Parse the JSON body as `model`: 400 when it is not JSON, 422 when it does not fit."""
    body = await read_body(request)
    if not body.strip():
        raise CoordError(
            ErrorCode.BAD_REQUEST, "request body is empty; send a JSON object (Content-Type: "
            "application/json).",
        )  # fmt: skip
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                f"request body is not valid JSON ({exc.errors()[0]['msg']}); send a JSON object.",
            ) from None
        raise BodyValidationError("body", exc) from None


def validate_query(model: type[ModelT], values: dict[str, Any]) -> ModelT:
    """Validate query parameters as `model` (422 with `query` locations when they do not fit)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise BodyValidationError("query", exc) from None


def model_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer serialised straight from a protocol model."""
    return Response(model.model_dump_json(), status_code=status, media_type=JSON, headers=headers)
