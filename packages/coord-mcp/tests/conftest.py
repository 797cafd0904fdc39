"""Fixtures for coord-mcp tests: a real `coord-api` per module and real `coord-mcp` agents.

`coord_service` is the workspace's `coord-api` fixture (root `conftest.py`) shared by one test
module; `agent` spawns `coord-mcp` over stdio with the official MCP SDK client, with an
environment and working directory of the test's choosing. `git_repo` is the workspace's too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from coord_e2e import CoordApi, CoordApiFactory, console_script
from mcp import Client, StdioServerParameters


@pytest.fixture(scope="module")
def coord_service(module_coord_api_factory: CoordApiFactory) -> CoordApi:
    """A `coord-api` process shared by one test module (tests use distinct repos and names)."""
    return module_coord_api_factory.start()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mcp_command() -> str:
    """Path of the `coord-mcp` console script."""
    return console_script("coord-mcp")


class Agent:
    """One `coord-mcp` process driven through the MCP SDK client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call `tool` and return its structured result (the `ToolResult` envelope)."""
        result = await self.client.call_tool(tool, arguments)
        assert result.structured_content is not None, result
        content: dict[str, Any] = result.structured_content
        return content


AgentFactory = Callable[..., AbstractAsyncContextManager[Agent]]


@pytest.fixture
def agent() -> AgentFactory:
    """Spawns `coord-mcp` in `cwd` with exactly `env` (plus PATH/HOME): `async with agent(...)`."""

    @asynccontextmanager
    async def spawn(env: Mapping[str, str], cwd: Path) -> AsyncIterator[Agent]:
        command = console_script("coord-mcp")
        params = StdioServerParameters(command=command, env=dict(env), cwd=cwd)
        async with Client(params, mode="legacy") as client:
            yield Agent(client)

    return spawn
