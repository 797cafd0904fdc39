"""Fixtures for in-process server tests: an app on a temp database, driven through ASGI."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_support import TOKEN, FakeClock, serve

from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import Settings, load_settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """The database under the app: each in-process test runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def make_settings(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Callable[..., Settings]:
    database_url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "auth_token": TOKEN,
            "database_path": tmp_path / "coord.db",
            "database_url": database_url,
            "queue_age_boost_seconds": 0,
        }
        values.update(overrides)
        return load_settings(**values)

    return build


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(make_settings())) as http:
        yield http


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def clocked(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext, FakeClock]]:
    """A client, the app context and the fake clock the app reads; no background expiry."""
    app = create_app(make_settings(disable_background_cleanup=True), clock=clock)
    async with serve(app) as http:
        yield http, app.state.coord, clock


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A monkeypatch with every COORD_* variable of the outer environment removed."""
    for name in list(os.environ):
        if name.startswith("COORD_"):
            monkeypatch.delenv(name)
    return monkeypatch
