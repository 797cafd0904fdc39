"""`create_app(settings)`: the Starlette application, with no module-level state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from importlib.metadata import version as package_version
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from coord_server.context import AppContext, Clock, utc_now
from coord_server.errors import HANDLERS
from coord_server.mcp_mount import MCP_PATH, install_mcp
from coord_server.middleware import BearerAuth, RequestContext
from coord_server.routes import (
    admin,
    claims,
    conflicts,
    events,
    hotspots,
    meta,
    ownership,
    queue,
    requests,
    sessions,
)
from coord_server.service.expiry import ExpiryLoop
from coord_server.settings import Settings
from coord_server.storage import InstanceLock, Store, make_engine, migrate, sqlite_url

logger = logging.getLogger("coord.app")

HOUSEKEEPING_INTERVAL_SEC = 3600.0


def server_version() -> str:
    """The installed coord-server version."""
    return package_version("coord-server")


def create_app(settings: Settings, clock: Clock = utc_now) -> Starlette:
    """The coord service for `settings`; storage opens when the app starts (lifespan)."""
    lock = None
    if settings.database_backend == "sqlite" and not settings.disable_instance_lock:
        lock = InstanceLock(settings.database_path)
    url = settings.database_url or sqlite_url(settings.database_path)
    engine = make_engine(url)
    ctx = AppContext.build(settings, Store(engine), clock, server_version())
    all_routes = _routes()
    route_names = {route.endpoint: route.path for route in all_routes}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if lock is not None:
            lock.acquire()
        try:
            migrate(engine)
            _load(ctx)
            if ctx.repo_files is not None:
                await ctx.repo_files.snapshot()  # the first claim should not pay for git
            async with _background(ctx):
                yield
        finally:
            ctx.store.close()
            engine.dispose()
            if lock is not None:
                lock.release()

    app = Starlette(
        routes=all_routes,
        middleware=[
            Middleware(RequestContext, metrics=ctx.metrics, route_of=_namer(route_names)),
            Middleware(
                BearerAuth, token=settings.auth_token, metrics_public=not settings.metrics_auth
            ),
        ],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )  # fmt: skip
    app.state.coord = ctx
    route_names[install_mcp(app)] = MCP_PATH
    return app


def _routes() -> list[Route]:
    # Starlette tries routes in order: the ones agents call all the time go first.
    return [
        *claims.routes(),
        *conflicts.routes(),
        *meta.routes(),
        *sessions.routes(),
        *queue.routes(),
        *events.routes(),
        *admin.routes(),
        *requests.routes(),
        *ownership.routes(),
        *hotspots.routes(),
    ]


def _namer(route_names: dict[Any, str]) -> Callable[[Any], str]:
    def route_of(endpoint: Any) -> str:
        # Unknown paths share one label so a scanner cannot blow up the metric's cardinality.
        return route_names.get(endpoint, "<unmatched>")

    return route_of


def _load(ctx: AppContext) -> None:
    ctx.sessions.load()
    ctx.claims.load()
    ctx.desk.expire_stale_rows()
    ctx.ownership.load()
    ctx.requests.load()
    ctx.metrics.bind_gauges(lambda: len(ctx.claims.state), lambda: len(ctx.desk.waiters))
    ctx.claims.release_counter = ctx.metrics.count_releases


@contextlib.asynccontextmanager
async def _background(ctx: AppContext) -> AsyncIterator[None]:
    tasks = []
    if not ctx.settings.disable_background_cleanup:
        expiry = ExpiryLoop(ctx.claims, ctx.settings.cleanup_interval_sec)
        ctx.claims.deadline_listeners.append(expiry.notify)  # release requests shorten claims
        tasks.append(asyncio.create_task(expiry.run(), name="coord-expiry"))
    tasks.append(asyncio.create_task(_housekeeping(ctx), name="coord-housekeeping"))
    tasks.append(asyncio.create_task(ctx.retention.run(), name="coord-retention"))
    if ctx.settings.auto_demote_interval_sec > 0 and ctx.settings.auto_promote_threshold > 0:
        tasks.append(asyncio.create_task(ctx.hotspots.run_demote_loop(), name="coord-demote"))
    if ctx.webhooks is not None:  # its own task: a slow receiver never holds up a request
        tasks.append(asyncio.create_task(ctx.webhooks.run(), name="coord-webhooks"))
    try:
        yield
    finally:
        ctx.live.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _housekeeping(ctx: AppContext) -> None:
    while True:
        try:
            ctx.idempotency.purge()
        except Exception:  # a boundary: housekeeping failing must not stop the service
            logger.exception("housekeeping failed; trying again later")
        await asyncio.sleep(HOUSEKEEPING_INTERVAL_SEC)
