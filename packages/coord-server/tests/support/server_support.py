"""Helpers shared by the server's test modules (importable by name: see pytest pythonpath)."""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeClock:
    """A clock tests move by hand; starts at a fixed instant."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move forward by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give an authenticated client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://coord.test", headers=AUTH
        ) as client:
            yield client


async def eventually(
    predicate: Callable[[], bool | Awaitable[bool]], seconds: float = 10.0
) -> None:
    """Let the app's tasks run until `predicate` holds (fails after `seconds`).

    A condition another task makes true, possibly after real I/O (PostgreSQL): the loop runs
    the other tasks first, and only then waits briefly between looks.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    spins = 0
    while not await _holds(predicate):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the condition never held within {seconds} s")
        spins += 1
        await asyncio.sleep(0 if spins < 100 else 0.002)


async def _holds(predicate: Callable[[], bool | Awaitable[bool]]) -> bool:
    answer = predicate()
    return await answer if inspect.isawaitable(answer) else bool(answer)


def claim_body(engineer: str, *patterns: str, **extra: Any) -> dict[str, Any]:
    """A POST /claims body for plain file claims."""
    return {"engineer": engineer, "claims": [{"pattern": p} for p in patterns], **extra}


def require_git() -> None:
    """Skip when git is missing, unless COORD_TEST_REQUIRE_ALL=1 makes that a failure."""
    if shutil.which("git") is None:
        if os.environ.get("COORD_TEST_REQUIRE_ALL") == "1":
            pytest.fail("git is required (COORD_TEST_REQUIRE_ALL=1) but not installed")
        pytest.skip("git is not installed")


def make_git_repo(root: Path, files: dict[str, str]) -> Path:
    """A real git repository at `root` with `files` committed."""
    require_git()
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    env_args = ["-c", "user.email=test@coord.invalid", "-c", "user.name=coord test"]
    for command in (["init", "-q"], ["add", "-A"], [*env_args, "commit", "-qm", "fixture"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)
    return root
