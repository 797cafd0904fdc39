"""`create_app(settings)`: the Starlette application, with no module-level state."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from importlib.metadata import version as package_version
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from coord_server.auth import PUBLIC_PATHS, Gate
from coord_server.background import running
from coord_server.context import AppContext, Clock, utc_now
from coord_server.errors import HANDLERS
from coord_server.mcp_mount import MCP_PATH, install_mcp
from coord_server.middleware import QueryTextGuard, RequestContext
from coord_server.routes import (
    adherence,
    admin,
    checkouts,
    claims,
    conflicts,
    dashboard,
    events,
    fences,
    hotspots,
    meta,
    ownership,
    queue,
    requests,
    sessions,
    tokens,
)
from coord_server.settings import Settings
from coord_server.storage import (
    InstanceLock,
    Store,
    make_engine,
    migrate,
    open_database,
    sqlite_url,
)

logger = logging.getLogger("coord.app")


def server_version() -> str:
    """The installed coord-server version."""
    return package_version("coord-server")


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL of the configured database."""
    return settings.database_url or sqlite_url(settings.database_path)


def create_app(settings: Settings, clock: Clock = utc_now) -> Starlette:
    """The coord service for `settings`; storage opens when the app starts (lifespan)."""
    lock = None
    if settings.database_backend == "sqlite" and not settings.disable_instance_lock:
        lock = InstanceLock(settings.database_path)
    url = database_url(settings)
    store = Store(open_database(url, settings.database_pool_size))
    ctx = AppContext.build(settings, store, clock, server_version())
    all_routes = _routes()
    route_names = {route.endpoint: route.path for route in all_routes}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if lock is not None:
            lock.acquire()
        try:
            _migrate(url)
            await _load(ctx)
            async with running(ctx):
                yield
        finally:
            await store.db.close()
            if lock is not None:
                lock.release()

    app = Starlette(
        routes=all_routes,
        middleware=[
            Middleware(RequestContext, metrics=ctx.metrics, route_of=_namer(route_names)),
            Middleware(
                Gate,
                operator_token=settings.auth_token,
                authenticate=ctx.tokens.authenticate,
                public=PUBLIC_PATHS | ({"/metrics"} if not settings.metrics_auth else set()),
                self_guarded=dashboard.DASHBOARD_PREFIX,
            ),
            Middleware(QueryTextGuard),
        ],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )  # fmt: skip
    app.state.coord = ctx
    route_names[install_mcp(app, settings.max_mcp_body_bytes)] = MCP_PATH
    return app


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


async def _load(ctx: AppContext) -> None:
    """What a replica reads before it serves: the rules in force, and (SQLite) every repo."""
    await ctx.ownership.load()
    if ctx.store.backend == "sqlite":
        # The only process: its views, once read, stay current, so read them all now.
        repos = set(await ctx.store.claims.active_repos())
        repos |= set(await ctx.store.queue.waiting_repos())
        for key in sorted(repos):
            async with ctx.arbiter.hold([key or None]):
                pass
    await ctx.feed.start(ctx.store)
    await ctx.scope.warm()  # the first claim of each repo should not pay for git


def _routes() -> list[Route]:
    # Starlette tries routes in order: the ones agents call all the time go first.
    return [
        *claims.routes(),
        *conflicts.routes(),
        *fences.routes(),
        *meta.routes(),
        *sessions.routes(),
        *queue.routes(),
        *events.routes(),
        *admin.routes(),
        *tokens.routes(),
        *checkouts.routes(),
        *requests.routes(),
        *ownership.routes(),
        *hotspots.routes(),
        *dashboard.routes(),
        *adherence.routes(),
    ]


def _namer(route_names: dict[Any, str]) -> Callable[[Any], str]:
    def route_of(endpoint: Any) -> str:
        # Unknown paths share one label so a scanner cannot blow up the metric's cardinality.
        return route_names.get(endpoint, "<unmatched>")

    return route_of
