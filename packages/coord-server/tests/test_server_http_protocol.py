"""The HTTP protocol coord is served with: what one loop turn writes leaves in one write."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from coord_server._http_protocol import HELD_BYTES_LIMIT, HttpProtocol, _TurnWrites

pytestmark = pytest.mark.anyio


class RecordingTransport:
    """Records what reaches the socket."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else default


async def next_turn() -> None:
    """Let the loop finish the current turn and run what it scheduled for the next."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def turn_writes() -> tuple[_TurnWrites, RecordingTransport]:
    transport = RecordingTransport()
    loop = asyncio.get_running_loop()
    return _TurnWrites(cast(asyncio.Transport, transport), loop), transport


async def test_what_one_turn_writes_leaves_as_one_write_at_its_end() -> None:
    held, transport = turn_writes()
    held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    held.write(memoryview(b"{}"))
    assert transport.writes == []
    await next_turn()
    assert transport.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    held.write(b"next")
    await next_turn()
    assert transport.writes[1:] == [b"next"]


async def test_closing_sends_what_is_held_first_and_nothing_is_sent_twice() -> None:
    held, transport = turn_writes()
    held.write(b"bye")
    held.close()
    assert transport.writes == [b"bye"] and transport.closed
    await next_turn()
    assert transport.writes == [b"bye"]


async def test_a_large_write_goes_out_at_once_after_what_was_held() -> None:
    held, transport = turn_writes()
    held.write(b"head")
    held.writelines([b"x" * HELD_BYTES_LIMIT])
    assert transport.writes == [b"head" + b"x" * HELD_BYTES_LIMIT]
    await next_turn()
    assert len(transport.writes) == 1


async def test_nothing_is_written_to_a_transport_that_is_closing() -> None:
    held, transport = turn_writes()
    held.write(b"late")
    transport.closed = True
    await next_turn()
    assert transport.writes == []


async def test_everything_else_is_the_real_transport() -> None:
    held, _transport = turn_writes()
    assert held.get_extra_info("sockname") == ("127.0.0.1", 8000)


async def _stream() -> AsyncIterator[bytes]:
    for part in (b"one,", b"two,", b"three"):
        await asyncio.sleep(0)
        yield part


async def _answer(request: Request) -> Response:
    if request.path_params["kind"] == "stream":
        return StreamingResponse(_stream(), media_type="text/plain")
    return JSONResponse({"kind": request.path_params["kind"]}, headers={"x-extra": "1"})


async def test_uvicorn_serves_keep_alive_and_streamed_answers_through_it() -> None:
    app = Starlette(routes=[Route("/{kind}", _answer)])
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, http=HttpProtocol, lifespan="off")
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[listener])  # listening once this returns
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                answers = [await client.get(f"/plain{n}") for n in range(3)]
                streamed = await client.get("/stream")
        finally:
            await server.shutdown(sockets=[listener])
    assert [a.json() for a in answers] == [{"kind": f"plain{n}"} for n in range(3)]
    assert all(a.headers["x-extra"] == "1" for a in answers)
    assert streamed.text == "one,two,three"


async def test_a_request_uvicorn_cannot_parse_gets_a_coord_error_body() -> None:
    app = Starlette(routes=[Route("/{kind}", _answer)])
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, http=HttpProtocol, lifespan="off")
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[listener])
        try:  # raw bytes: httpx itself refuses a query this long
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            query = "&".join(["pattern=src/a.ts"] * 8000)
            writer.write(f"GET /plain?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            answer = await reader.read()  # the server closes after its refusal
            writer.close()
        finally:
            await server.shutdown(sockets=[listener])
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    refusal = json.loads(body)
    assert refusal["code"] == "bad_request" and "POST /conflicts/batch" in refusal["detail"]
