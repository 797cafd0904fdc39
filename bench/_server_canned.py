"""The client's own ceiling: a server that answers every GET with the same bytes, at once.

Run as `python _server_canned.py PORT`. It does no HTTP parsing beyond finding where each
request ends, so nearly all the CPU a load against it burns is the load generator's: the rate
reached here is the most the generator could ever report against a real server.
"""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import uvloop

_BODY = b'{"ok":true}'
_ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)
_REQUEST_END = b"\r\n\r\n"


class _CannedAnswers(asyncio.Protocol):
    """Answers each complete request head (GET only: no bodies) with `_ANSWER`."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but they are one.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._pending += data
        complete = self._pending.count(_REQUEST_END)
        if complete and self._transport is not None:
            self._pending = self._pending[self._pending.rfind(_REQUEST_END) + len(_REQUEST_END) :]
            self._transport.write(_ANSWER * complete)


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_CannedAnswers, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Serve canned answers on 127.0.0.1:PORT until terminated."""
    uvloop.run(_serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
