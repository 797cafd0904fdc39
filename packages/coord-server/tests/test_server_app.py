"""The application's life cycle: it starts, serves, and stops cleanly with everything mounted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from server_support import claim_body, serve

from coord_server.app import create_app
from coord_server.settings import Settings

pytestmark = pytest.mark.anyio


async def test_shutdown_completes_after_a_grant(make_settings: Callable[..., Settings]) -> None:
    # Regression: background loops that slept in asyncio.wait_for could swallow the shutdown's
    # cancellation (with the MCP mount's task groups on the same loop) and hang the stop. The
    # deadline only turns such a hang into a failure; it measures nothing.
    app = create_app(make_settings())
    async with asyncio.timeout(30):
        async with serve(app) as client:
            granted = await client.post("/claims", json=claim_body("alex", "a.ts"))
            assert granted.status_code == 200
