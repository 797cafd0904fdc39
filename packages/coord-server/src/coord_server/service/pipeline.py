"""What follows a change, in order: one list before the commit, one after (assembled in `context`).

Steps before the commit write into the unit's own transaction (inbox notices, hotspot signals,
the event log, the message to the other replicas), so they happen with the change or not at
all. Steps after the commit act on what is now true for everyone (answer waiters, wake
long-polls and streams, serve the queues the change unblocked, promote hot files). An
after-commit step that fails is logged and the rest still run: the change itself is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coord_server.service.changes import Changes
from coord_server.storage import Row

if TYPE_CHECKING:
    from coord_server.service.arbiter import Unit

logger = logging.getLogger("coord.pipeline")

BeforeCommit = Callable[["Unit"], Awaitable[None]]
AfterCommit = Callable[[Changes, Sequence[Row]], Awaitable[None]]
"""Told of the unit's changes and of the event rows it stored (with their ids)."""


@dataclass(slots=True)
class Pipeline:
    """The ordered steps around every commit of a unit."""

    before_commit: list[BeforeCommit] = field(default_factory=list)
    after_commit: list[AfterCommit] = field(default_factory=list)

    def assemble(self, before_commit: list[BeforeCommit], after_commit: list[AfterCommit]) -> None:
        """Set the steps (once, where the app is built)."""
        self.before_commit[:] = before_commit
        self.after_commit[:] = after_commit

    async def seal(self, unit: Unit) -> None:
        """Run the steps that belong in the unit's transaction."""
        for step in self.before_commit:
            await step(unit)

    async def committed(self, changes: Changes, events: Sequence[Row]) -> None:
        """Run the steps that follow a commit; a failing one does not stop the others."""
        for step in self.after_commit:
            try:
                await step(changes, events)
            except Exception:  # a boundary: the change is committed, the rest must still run
                logger.exception(
                    "a step after a commit failed (%s)", getattr(step, "__qualname__", step)
                )
