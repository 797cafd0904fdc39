"""Fixtures for coord-mcp tests: a real `coord-api` process and real `coord-mcp` agents.

`coord_service` starts the server's console script on a free loopback port with a temporary
database and an operator token, once per test module; `agent` spawns `coord-mcp` over stdio with
the official MCP SDK client, with an environment and working directory of the test's choosing.
Tests that need git skip without it, unless `COORD_TEST_REQUIRE_ALL=1` makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters

TOKEN = "mcp-tests-operator-token-0123456789"
START_DEADLINE_SEC = 30.0
STOP_GRACE_SEC = 10.0


def require_tool(name: str) -> str:
    """The path of executable `name`; skips without it (fails under COORD_TEST_REQUIRE_ALL=1)."""
    found = shutil.which(name)
    if found:
        return found
    reason = f"`{name}` is not installed; this test needs a real {name}"
    if os.environ.get("COORD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (COORD_TEST_REQUIRE_ALL=1 forbids skipping it)")
    pytest.skip(reason)


def script(name: str) -> str:
    """A console script installed beside the running interpreter."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"the {name} console script is not installed; run `uv sync` first")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class CoordService:
    """A running `coord-api` process."""

    base_url: str
    token: str
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def http(self) -> httpx.Client:
        """A blocking client authenticated as the operator."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)

    def async_http(self) -> httpx.AsyncClient:
        """An async client authenticated as the operator."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=60.0)

    def agent_env(self, **overrides: str) -> dict[str, str]:
        """Environment of a `coord-mcp` talking to this service as the operator."""
        return {"COORD_API_URL": self.base_url, "COORD_AUTH_TOKEN": self.token, **overrides}

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SEC)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start_service(scratch: Path) -> CoordService:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    env.update({
        "COORD_HOST": "127.0.0.1",
        "COORD_PORT": str(port),
        "COORD_DATABASE_PATH": str(scratch / "coordination.db"),
        "COORD_AUTH_TOKEN": TOKEN,
    })  # fmt: skip
    stderr_path = scratch / "coord-api.log"
    with stderr_path.open("wb") as log:
        process = subprocess.Popen(
            [script("coord-api")], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            cwd=scratch,
        )  # fmt: skip
    service = CoordService(f"http://127.0.0.1:{port}", TOKEN, process, stderr_path)
    if not _ready(service):
        service.stop()
        log_text = stderr_path.read_text(errors="replace")
        pytest.fail(f"coord-api did not become ready on port {port}; its log:\n{log_text}")
    return service


def _ready(service: CoordService) -> bool:
    deadline = time.monotonic() + START_DEADLINE_SEC
    with httpx.Client(base_url=service.base_url, timeout=2.0) as probe:
        while time.monotonic() < deadline and service.process.poll() is None:
            try:
                if probe.get("/readyz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.05)  # start-up offers nothing to wait on but the socket
    return False


@pytest.fixture(scope="module")
def coord_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoordService]:
    """A `coord-api` process shared by one test module (tests use distinct repos and names)."""
    service = _start_service(tmp_path_factory.mktemp("coord-api"))
    yield service
    service.stop()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mcp_command() -> str:
    """Path of the `coord-mcp` console script."""
    return script("coord-mcp")


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
        params = StdioServerParameters(command=script("coord-mcp"), env=dict(env), cwd=cwd)
        async with Client(params, mode="legacy") as client:
            yield Agent(client)

    return spawn


GitRepoFactory = Callable[[Mapping[str, str]], Path]


@pytest.fixture
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepoFactory:
    """Makes a committed git checkout (branch `main`) with the given files."""
    git = require_tool("git")

    def make(files: Mapping[str, str]) -> Path:
        root = tmp_path_factory.mktemp("repo")
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        env = {**os.environ, "HOME": str(root.parent), "GIT_CONFIG_GLOBAL": os.devnull,
               "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
        identity = ["-c", "user.name=coord tests", "-c", "user.email=tests@coord.invalid"]
        for step in (["init", "-q", "-b", "main"], ["add", "-A"],
                     [*identity, "commit", "-q", "--no-gpg-sign", "-m", "fixture"]):  # fmt: skip
            subprocess.run([git, *step], cwd=root, env=env, check=True, capture_output=True)
        return root

    return make
