"""Wire error codes, the code -> HTTP status table, and the error raised on both sides.

The server turns a `CoordError` into a response in one handler; the client raises the same class
from a response, so the CLI, MCP bridge and hooks catch exactly what the server meant.
"""

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Machine-readable reason carried in every error body's `code`."""

    BAD_REQUEST = "bad_request"
    INVALID_PATTERN = "invalid_pattern"
    PATTERN_TOO_COMPLEX = "pattern_too_complex"
    INVALID_SYMBOL = "invalid_symbol"
    INVALID_REPO = "invalid_repo"
    INVALID_SESSION = "invalid_session"
    INVALID_OWNERSHIP = "invalid_ownership"
    INVALID_TEXT = "invalid_text"
    SCOPE_TOO_BROAD = "scope_too_broad"
    VALIDATION_ERROR = "validation_error"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    NOT_HOLDER = "not_holder"
    CONFLICT = "conflict"
    QUEUE_TIMEOUT = "queue_timeout"
    QUEUE_CANCELLED = "queue_cancelled"
    ALREADY_DECIDED = "already_decided"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INVALID_PATTERN: 400,
    ErrorCode.PATTERN_TOO_COMPLEX: 400,
    ErrorCode.INVALID_SYMBOL: 400,
    ErrorCode.INVALID_REPO: 400,
    ErrorCode.INVALID_SESSION: 400,
    ErrorCode.INVALID_OWNERSHIP: 400,
    ErrorCode.INVALID_TEXT: 400,
    ErrorCode.SCOPE_TOO_BROAD: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.NOT_HOLDER: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.QUEUE_TIMEOUT: 409,
    ErrorCode.QUEUE_CANCELLED: 409,
    ErrorCode.ALREADY_DECIDED: 409,
    ErrorCode.IDEMPOTENCY_MISMATCH: 422,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}
"""The HTTP status each error code is sent with; one table for server and clients."""


def status_for(code: ErrorCode) -> int:
    """HTTP status of `code`."""
    return HTTP_STATUS[code]


class CoordError(Exception):
    """An error with a wire code, a message a person or agent can act on, and extra body keys."""

    def __init__(self, code: ErrorCode, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra

    @property
    def status(self) -> int:
        """HTTP status this error is sent with."""
        return status_for(self.code)

    def body(self) -> dict[str, Any]:
        """The JSON error body: `detail`, `code`, then any route-specific keys."""
        return {"detail": self.detail, "code": str(self.code), **self.extra}

    def __repr__(self) -> str:
        return f"CoordError({self.code!s}, {self.detail!r})"
