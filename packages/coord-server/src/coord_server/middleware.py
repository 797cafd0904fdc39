"""ASGI middleware: request ids, metrics and query-text checks, written against raw ASGI for
speed (authentication is `auth.Gate`)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.text import FREE_TEXT_FIELDS, first_unsafe_char, unsafe_text_problem
from coord_server.errors import error_response
from coord_server.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"


class RequestContext:
    """Gives every response an `X-Request-ID` and counts it in the metrics by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics, route_of: Callable[[Any], str]) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        # ASCII only: the id is echoed in a response header and quoted in logs.
        usable = 0 < len(incoming) <= 128 and incoming.isascii() and incoming.isprintable()
        request_id = incoming if usable else ""
        # 32 random hex digits, as uuid4().hex gave, without building a UUID per request.
        request_id = request_id or os.urandom(16).hex()
        scope["coord.request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = self.route_of(scope.get("endpoint"))
            self.metrics.observe(route, scope["method"], status, time.perf_counter() - started)


_PLAIN_QUERY = re.compile(rb"[!-$&-~]*")
"""A query string of visible ASCII without `%`: it cannot carry an unsafe character."""


class QueryTextGuard:
    """Refuses (400 `invalid_text`) a free-text query parameter (`?engineer=`) holding a control
    or bidirectional-override character, as the wire models refuse it in bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        refusal = None if _PLAIN_QUERY.fullmatch(query) else _unsafe_query_text(query)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        await error_response(refusal)(scope, receive, send)


def _unsafe_query_text(query: bytes) -> CoordError | None:
    for name, value in QueryParams(query).multi_items():
        char = first_unsafe_char(value) if name in FREE_TEXT_FIELDS else None
        if char is not None:
            where = f"query.{name}"
            detail = f"invalid text in {where}: {unsafe_text_problem(char)}"
            return CoordError(ErrorCode.INVALID_TEXT, detail, field=where)
    return None
