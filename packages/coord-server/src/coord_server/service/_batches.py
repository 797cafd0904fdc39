"""Group commit on PostgreSQL: units of one repo that queue behind each other share a commit.

A unit's commit waits for the WAL to reach the disk (a few milliseconds here) while the repo's
advisory lock is held, so one repo could take only as many changes a second as the disk takes
flushes. When a unit ends while others wait for the same repo, it leaves its transaction open
for them: each runs inside it, behind a savepoint of its own (a unit that fails rolls back to it
and leaves the others' work alone), and one commit makes them all durable at once. Each unit
still answers only after that commit, so nothing is reported that the database does not hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack

from sqlalchemy import text

from coord_server.service.view import UNKNOWN, RepoView
from coord_server.storage import Store, Transaction


class Batch:
    """One open transaction holding one repo, and the units that ran in it so far."""

    def __init__(self) -> None:
        self._stack = AsyncExitStack()
        self._root: Transaction | None = None
        self.units = 0
        self.owners_revision: int | None = None
        self.changed: list[RepoView] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closer: asyncio.Task[None] | None = None

    async def open(self, store: Store, keys: Sequence[str]) -> None:
        """Begin the transaction and take the repos' locks."""
        self._root = await self._stack.enter_async_context(store.transaction(keys))

    def transaction(self) -> Transaction:
        """The next unit's writer: the transaction itself for the first, a sibling after."""
        assert self._root is not None
        return self._root if self.units == 0 else self._root.sibling()

    async def savepoint(self, tx: Transaction) -> str | None:
        """Mark where a joining unit begins (none for the first: it fails the batch alone)."""
        if self.units == 0:
            return None
        name = f"unit_{self.units}"
        await tx.execute(text(f"SAVEPOINT {name}"))
        return name

    async def undo(self, tx: Transaction, savepoint: str) -> None:
        """Take back a failed joining unit's writes."""
        await tx.execute(text(f"ROLLBACK TO SAVEPOINT {savepoint}"))

    def joined(self, changed: Sequence[RepoView]) -> None:
        """A unit ended well: its views count as changed by the batch."""
        self.units += 1
        self.changed += changed

    async def commit(self) -> None:
        """Commit every unit's work; a failure leaves the changed views unknown."""
        try:
            await self._stack.aclose()
        except BaseException as exc:
            self._forget()
            if not self.done.done():
                self.done.set_exception(exc)
            raise
        if not self.done.done():
            self.done.set_result(None)

    async def abort(self, exc: BaseException) -> None:
        """Roll the whole transaction back (its first unit failed: nobody else joined yet)."""
        self._forget()
        try:
            await self._stack.__aexit__(type(exc), exc, exc.__traceback__)
        finally:
            if not self.done.done():
                self.done.set_exception(exc)
                self.done.exception()  # retrieved: nobody else waits on it

    def _forget(self) -> None:
        for view in self.changed:
            view.version = UNKNOWN
