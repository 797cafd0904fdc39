"""The ceiling: a trivial Starlette endpoint doing one SQLite insert per request.

Run as `python _server_ceiling.py PORT DATABASE`. It is served by uvicorn with the settings
`coord-api` uses (uvloop and httptools when installed, no access log, proxy headers on), and its
SQLite file is tuned like coord's (WAL, synchronous=NORMAL), so the gap between this and coord
is what coord itself costs: routing, auth, validation, decisions, serialisation, its writes.
"""

from __future__ import annotations

import json
import sqlite3
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app(database: str) -> Starlette:
    """The ceiling app: `POST /hit` inserts one row, `GET /readyz` answers when it is up."""
    connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, body TEXT)")

    async def hit(request: Request) -> Response:
        body = json.loads(await request.body())
        connection.execute("INSERT INTO hits (body) VALUES (?)", (json.dumps(body),))
        return JSONResponse({"ok": True})

    async def ready(_request: Request) -> Response:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[Route("/hit", hit, methods=["POST"]), Route("/readyz", ready, methods=["GET"])]
    )


def main() -> None:
    """Serve the ceiling app on 127.0.0.1:PORT with its database at DATABASE."""
    port, database = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(
        create_app(database),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
