"""Exception handlers: every failure leaves as a JSON error body, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from coord_protocol.errors import CoordError, ErrorCode, status_for
from coord_protocol.text import UNSAFE_TEXT_ERROR
from coord_server.http import BodyValidationError

logger = logging.getLogger("coord.errors")

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def error_response(error: CoordError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON answer of a `CoordError` (a refusal past a cap says when to retry)."""
    retry_after = error.extra.get("retry_after")
    if retry_after is not None:
        headers = {**(headers or {}), "Retry-After": str(retry_after)}
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def coord_error(_request: Request, exc: Exception) -> Response:
    """A `CoordError` raised anywhere in a route."""
    assert isinstance(exc, CoordError)
    return error_response(exc)


async def validation_error(_request: Request, exc: Exception) -> Response:
    """A request that does not fit its schema: 422 with every field location; free text with
    an unsafe character: 400 `invalid_text` naming the field and the character."""
    assert isinstance(exc, BodyValidationError)
    issues = [_issue(exc.where, error) for error in exc.error.errors()]
    unsafe = [issue for issue in issues if issue["type"] == UNSAFE_TEXT_ERROR]
    if unsafe:
        # Unsafe text is a rule of its own (400, like a refused pattern), not a schema mismatch.
        where = _dotted(unsafe[0])
        detail = f"invalid text in {where}: {unsafe[0]['msg']}"
        error = CoordError(ErrorCode.INVALID_TEXT, detail, field=where, errors=issues)
        return error_response(error)
    first = issues[0]
    detail = f"invalid request: {_dotted(first)}: {first['msg']}"
    if len(issues) > 1:
        detail += f" (and {len(issues) - 1} more problem(s), listed in `errors`)"
    body = {"detail": detail, "code": str(ErrorCode.VALIDATION_ERROR), "errors": issues}
    return JSONResponse(body, status_code=status_for(ErrorCode.VALIDATION_ERROR))


def _dotted(issue: dict[str, Any]) -> str:
    return ".".join(str(part) for part in issue["loc"])


def _issue(where: str, error: Any) -> dict[str, Any]:
    return {"loc": [where, *error["loc"]], "msg": error["msg"], "type": error["type"]}


async def http_error(_request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown route, wrong method) in coord's error shape."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
    detail = exc.detail
    if exc.status_code == 404:
        detail = "no such route; GET /openapi.json lists every route of the API."
    elif exc.status_code == 405:
        detail = "this route does not accept that method; see GET /openapi.json."
    return JSONResponse(
        {"detail": detail, "code": str(code)}, status_code=exc.status_code, headers=exc.headers
    )


CLIENT_CLOSED_REQUEST = 499
"""Status recorded (never received) for a request whose client hung up before the answer."""


async def client_gone(_request: Request, _exc: Exception) -> Response:
    """The client hung up while sending its body: nothing failed here, and nobody reads this."""
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """The last resort: log the traceback, answer 500 with the request id to quote."""
    request_id = request.scope.get("coord.request_id", "")
    logger.error("unhandled error on %s %s [%s]", request.method, request.url.path, request_id,
                 exc_info=exc)  # fmt: skip
    body = {
        "detail": f"internal error; the server log has the details under request id {request_id}.",
        "code": str(ErrorCode.INTERNAL),
    }
    return JSONResponse(body, status_code=500)


HANDLERS: dict[Any, Any] = {
    CoordError: coord_error,
    BodyValidationError: validation_error,
    HTTPException: http_error,
    ClientDisconnect: client_gone,
    Exception: unexpected_error,
}
"""Handlers in the form Starlette's `exception_handlers` takes."""
