"""The ASGI gate every request passes: who is calling, and may a request of this shape change
anything (SPEC §13).

- Authentication: the operator token (compared in constant time), or a per-engineer token
  looked up by its hash on every request; anything else is 401. The principal is put in the
  scope for the routes.
- Read-only tokens may only read: GET and HEAD, and the POSTs that only ask a question.
- Browser safety: a web page can send `text/plain` and form bodies to any address without a
  preflight, so a route that changes state takes JSON (or YAML for owners.yaml) only, and a
  bodyless POST must prove it is no form either (a bearer token, or a JSON content type).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth.principal import ANONYMOUS, OPERATOR, Principal, forbidden
from coord_server.errors import error_response

PUBLIC_PATHS = frozenset({"/health", "/readyz", "/meta", "/openapi.json", "/favicon.ico"})
QUESTIONS = frozenset({"/conflicts/batch", "/fences/check"})
"""POST routes that only read: allowed for read-only tokens."""
OBSERVATIONS = frozenset({"/adherence/reports"})
"""POST routes that record what a check saw of the caller's own work and change no claim:
allowed for read-only tokens too (a CI job's token usually is one)."""
YAML_ROUTES = frozenset({"/config/ownership"})
YAML_TYPES = frozenset({"application/yaml", "text/yaml", "application/x-yaml"})
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Authenticate = Callable[[str], Awaitable[Principal | None]]


class Gate:
    """Authenticates, then refuses what the principal or the body type may not do."""

    def __init__(
        self,
        app: ASGIApp,
        operator_token: str | None,
        authenticate: Authenticate,
        public: frozenset[str] = PUBLIC_PATHS,
        self_guarded: str | None = None,
    ) -> None:
        self.app = app
        self.operator_token = operator_token.encode() if operator_token else None
        self.authenticate = authenticate
        self.public = public
        self.self_guarded = self_guarded
        """A path prefix whose routes sign browsers in and check CSRF themselves (the
        dashboard): a valid token still names the principal, a missing one is no refusal."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self._guards_itself(scope["path"]):
            scope["coord.principal"] = await self._bearer(headers) or ANONYMOUS
            await self.app(scope, receive, send)
            return
        try:
            scope["coord.principal"] = await self._principal(scope, headers)
            _check_shape(scope, headers)
        except CoordError as refusal:
            extra = {"WWW-Authenticate": "Bearer"} if refusal.code == ErrorCode.UNAUTHORIZED else {}
            await error_response(refusal, headers=extra)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _guards_itself(self, path: str) -> bool:
        prefix = self.self_guarded
        return prefix is not None and (path == prefix or path.startswith(prefix + "/"))

    async def _bearer(self, headers: Headers) -> Principal | None:
        """The principal of a valid bearer token (anyone without auth), else None."""
        if self.operator_token is None:
            return ANONYMOUS
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        secret = presented.strip() if scheme.lower() == "bearer" else ""
        if secret and hmac.compare_digest(secret.encode(), self.operator_token):
            return OPERATOR
        return await self.authenticate(secret) if secret else None

    async def _principal(self, scope: Scope, headers: Headers) -> Principal:
        found = await self._bearer(headers)
        if found is not None:
            return found
        header = headers.get("authorization", "")
        if scope["path"] in self.public:
            return ANONYMOUS  # a stale token does not make a health check fail
        if not header:
            raise CoordError(
                ErrorCode.UNAUTHORIZED,
                "missing bearer token: send `Authorization: Bearer <token>` (COORD_AUTH_TOKEN, "
                "or the engineer token in .coordination/local.env).",
            )
        return _refuse_token()


def _refuse_token() -> Principal:
    raise CoordError(
        ErrorCode.UNAUTHORIZED,
        "invalid bearer token: it is unknown, revoked or expired. Check COORD_AUTH_TOKEN (or "
        ".coordination/local.env), or ask the operator for a new one (`coord tokens create`).",
    )


def _check_shape(scope: Scope, headers: Headers) -> None:
    method, path = scope["method"], scope["path"]
    if method in READING_METHODS:
        return
    principal: Principal = scope["coord.principal"]
    if principal.read_only and path not in QUESTIONS | OBSERVATIONS:
        raise forbidden(
            f"{principal.describe()} can only read; {method} {path} changes state. Use an "
            "engineer token that is not read-only."
        )
    _check_body_type(method, path, headers)


def _check_body_type(method: str, path: str, headers: Headers) -> None:
    media = headers.get("content-type", "").partition(";")[0].strip().lower()
    wanted = YAML_TYPES if path in YAML_ROUTES else frozenset({"application/json"})
    if media in wanted:
        return
    bodyless = not media and headers.get("content-length", "0") == "0"
    if bodyless and (method != "POST" or "authorization" in headers):
        return  # no body a form could have sent: DELETE needs a preflight, a token proves code
    expected = " or ".join(sorted(wanted))
    raise CoordError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        f"{method} {path} takes a body of type {expected}, not {media or '(none)'!r}: send "
        f"`Content-Type: {sorted(wanted)[0]}` (form and text bodies are refused, so a web page "
        "cannot change state here).",
    )
