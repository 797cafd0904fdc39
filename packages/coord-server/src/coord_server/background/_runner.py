"""Starting and stopping the background tasks with the app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from coord_server.context import AppContext
from coord_server.storage import Lease

logger = logging.getLogger("coord.background")

HOUSEKEEPING_INTERVAL_SEC = 3600.0

LISTEN_START_SEC = 10.0
"""How long start-up waits for the replica's listener before serving anyway (with a warning)."""


@contextlib.asynccontextmanager
async def running(ctx: AppContext) -> AsyncIterator[None]:
    """Run the background tasks for the life of the block; cancel them at its end."""
    tasks = [asyncio.create_task(work, name=name) for name, work in _work(ctx)]
    try:
        await _until_listening(ctx)
        yield
    finally:
        ctx.live.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _until_listening(ctx: AppContext) -> None:
    # Until the listener holds this replica's liveness lock, the leader would take a waiter
    # parked here for one of a dead replica and end it.
    try:
        async with asyncio.timeout(LISTEN_START_SEC):
            await ctx.store.db.listening()
    except TimeoutError:
        logger.warning("the replica listener is not up yet; serving anyway")


def _work(ctx: AppContext) -> list[tuple[str, Coroutine[Any, Any, None]]]:
    settings = ctx.settings
    work: list[tuple[str, Coroutine[Any, Any, None]]] = [
        ("coord-lease", ctx.lease.run()),
        ("coord-signals", ctx.store.db.listen(ctx.replica, ctx.signals.receive)),
        ("coord-feed", ctx.feed.run()),
        ("coord-retention", ctx.retention.run()),
        ("coord-housekeeping", every(HOUSEKEEPING_INTERVAL_SEC, ctx.lease, ctx.idempotency.purge)),
    ]
    if not settings.disable_background_cleanup:
        work.append(("coord-expiry", ctx.expiry_loop.run()))
    if settings.auto_demote_interval_sec > 0 and settings.auto_promote_threshold > 0:
        work.append(
            (
                "coord-demote",
                every(
                    settings.auto_demote_interval_sec,
                    ctx.lease,
                    ctx.hotspots.demote_sweep,
                    first_after=True,
                ),
            )
        )
    if ctx.webhooks is not None:  # its own task: a slow receiver never holds up a request
        work.append(("coord-webhooks", ctx.webhooks.run()))
    return work


async def every(
    interval: float, lease: Lease, job: Callable[[], Awaitable[object]], first_after: bool = False
) -> None:
    """Run `job` every `interval` seconds while leading (first at once, unless `first_after`)."""
    if first_after:
        await asyncio.sleep(interval)
    while True:
        await lease.wait_leading()
        try:
            await job()
        except Exception:  # a boundary: one failed round must not end the loop
            logger.exception("background job %s failed; trying again next interval", job)
        await asyncio.sleep(interval)
