"""The HTTP protocol coord is served with: uvicorn's httptools protocol, one write per answer,
and a JSON refusal past the concurrency limit.

uvicorn writes a response's status line and headers as soon as the app starts the response, and
the body in a second write, each straight to the socket. Here what a connection is given during
one turn of the event loop is sent as one write at the end of that turn: an answer goes out in
one TCP segment, a moment later, after the request that produced it has finished its work. Under
the benchmark's claim+release load this takes about a sixth off the server's CPU time per
request. The bytes on the wire are the same; only the segments carrying them change.

Past `COORD_LIMIT_CONCURRENCY` (connections open, or requests in progress) uvicorn would answer
a bare `text/plain` 503; clients parse coord's error bodies, so the refusal here is the usual
JSON error with the cap, the setting and when to retry. A request uvicorn cannot parse (most
often a request line and headers over the parser's 64 KiB, such as a GET with thousands of
query parameters) is likewise answered with coord's JSON 400, not uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.errors import error_response

HELD_BYTES_LIMIT = 64 * 1024
"""Held bytes that are sent at once instead: a large or streamed body must reach the transport,
whose buffer limits drive uvicorn's flow control."""


class _TurnWrites:
    """A transport that sends what is written during one loop turn as one write at its end."""

    __slots__ = ("_flush_handle", "_held", "_held_bytes", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._flush_handle: asyncio.Handle | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send `data` at the end of this turn of the loop, with whatever else comes by then."""
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= HELD_BYTES_LIMIT:
            self.flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self.flush)

    def writelines(self, chunks: Any) -> None:
        """Send the chunks as one write."""
        self.write(b"".join(chunks))

    def flush(self) -> None:
        """Send what is held now."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._held_bytes = 0
        if not self._transport.is_closing():
            self._transport.write(data)

    def write_eof(self) -> None:
        """Send what is held, then end the sending side."""
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        """Send what is held, then close."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        # Everything else (reading, flow control, extra info, abort) is the real transport's.
        return getattr(self._transport, name)


BUSY_RETRY_AFTER_SEC = 1
"""`Retry-After` of a refusal past the concurrency limit."""


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each answer to the socket in one piece."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The limit is checked here, so that the refusal is coord's JSON, not uvicorn's text.
        self._limit: int | None = self.limit_concurrency
        self.limit_concurrency = None

    def send_400_response(self, msg: str) -> None:
        """The answer to bytes that are not an HTTP request uvicorn can parse, in coord's shape."""
        refusal = CoordError(
            ErrorCode.BAD_REQUEST,
            f"{msg.rstrip('.')}: the request could not be parsed as HTTP/1.1 (a request line and "
            "headers over 64 KiB are refused too); send long lists in a JSON body, e.g. POST "
            "/conflicts/batch instead of GET /conflicts.",
        )
        body = json.dumps(refusal.body()).encode()
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join([*head, body]))
        self.transport.close()

    def on_headers_complete(self) -> None:
        """Start the request, or its refusal when the service is at its concurrency limit."""
        limit = self._limit
        busy = limit is not None and (len(self.connections) > limit or len(self.tasks) >= limit)
        if not busy:
            super().on_headers_complete()
            return
        self.logger.warning("refused a request: COORD_LIMIT_CONCURRENCY=%s reached", limit)
        app = self.app
        self.app = _busy(limit or 0)  # the request's cycle takes the app in force now
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Serve the connection through a transport that joins the writes of a loop turn."""
        held: Any = _TurnWrites(transport, self.loop)
        super().connection_made(held)


def _busy(limit: int) -> Any:
    refusal = CoordError(
        ErrorCode.UNAVAILABLE,
        f"the service is serving as many connections and requests as it allows "
        f"(COORD_LIMIT_CONCURRENCY={limit}); retry in a moment, and close connections you do "
        "not use.",
        cap="COORD_LIMIT_CONCURRENCY",
        retry_after=BUSY_RETRY_AFTER_SEC,
    )

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(refusal, headers={"Connection": "close"})
        await response(scope, receive, send)

    return answer
