"""A minimal HTTP/1.1 keep-alive connection for the load generator.

A general client (httpx) spends far more CPU per request than the server under test does, so on
a small machine it measures itself; this one writes a request in one call and reads a
`Content-Length` answer with two reads. It speaks only what the benchmark needs: no chunked
bodies, no redirects, one request in flight per connection.
"""

from __future__ import annotations

import asyncio

_HEAD_END = b"\r\n\r\n"
_LENGTH = b"content-length:"


class ProtocolError(Exception):
    """The server answered something this minimal client cannot read."""


class Connection:
    """One keep-alive connection to `127.0.0.1:port`."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: bytes
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._headers = headers
        """Header lines every request carries."""

    @classmethod
    async def open(cls, port: int, token: str) -> Connection:
        """Connect; every request will carry `token` as its bearer token."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        headers = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        return cls(reader, writer, headers.encode())

    async def request(
        self, method: str, target: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        """Send one request and return the status code and the body of its answer."""
        head = f"{method} {target} HTTP/1.1\r\n".encode() + self._headers
        if body is None:
            self._writer.write(head + b"\r\n")
        else:
            length = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            self._writer.write(head + length.encode() + body)
        answer_head = await self._reader.readuntil(_HEAD_END)
        status = int(answer_head[9:12])
        return status, await self._reader.readexactly(_content_length(answer_head))

    def close(self) -> None:
        """Close the connection without waiting."""
        self._writer.close()


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        if line.startswith(_LENGTH):
            return int(line[len(_LENGTH) :])
    raise ProtocolError(f"answer without Content-Length: {head[:200]!r}")
