"""The arbiter: every change of a repo bucket happens in a unit that holds the repo (SPEC §4.2).

`hold(repo)` takes the repo's lock in this process (an asyncio lock: requests of one replica
queue here rather than in the database), then opens a transaction holding the repo's database
lock (PostgreSQL: `pg_advisory_xact_lock`; SQLite needs none, being the only process). Under both,
the repo's view is proved current against `repo_state` and patched from the rows changed since,
so every decision is made against the claims as the database has them at that moment. The unit's
changes are stamped with the repo's next version; sealing stores that version, runs the
pipeline's before-commit steps and commits; the after-commit steps run once the locks are free.

A unit that fails after changing a view leaves that view unknown: it is read afresh, whole,
the next time the repo is held, so memory never keeps a change the database does not have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

from coord_server.service._batches import Batch
from coord_server.service.changes import Changes
from coord_server.service.events import EventBatch
from coord_server.service.pipeline import Pipeline
from coord_server.service.view import UNKNOWN, RepoView
from coord_server.service.view_rows import ViewRows
from coord_server.storage import Store, Transaction, repo_key

logger = logging.getLogger("coord.arbiter")

Clock = Callable[[], datetime]


class Unit:
    """One locked change: its transaction, the views it holds, what it did so far."""

    __slots__ = ("_changed", "changes", "events", "now", "owners_revision", "tx", "views")

    def __init__(self, tx: Transaction, views: dict[str, RepoView], now: datetime) -> None:
        self.tx = tx
        self.views = views
        self.now = now
        self.changes = Changes()
        self.events = EventBatch(now)
        self.owners_revision: int | None = None
        """The owners.yaml revision in force, as read under the lock (None: this process is
        the only writer, so the revision it holds is the newest)."""
        self._changed: set[str] = set()

    def view(self, repo: str | None) -> RepoView:
        """The held view of `repo` (a unit only touches the repos it holds)."""
        key = repo_key(repo)
        view = self.views.get(key)
        if view is None:
            raise RuntimeError(f"repo {key!r} is not held by this unit")
        return view

    def changing(self, view: RepoView) -> None:
        """Note that this unit changes `view`: the repo gets a new version when it commits."""
        if view.key not in self._changed:
            self._changed.add(view.key)
            self.tx.versions[view.key] = view.version + 1

    def next_fence(self, view: RepoView) -> int:
        """The next fence of the repo (strictly increasing across replicas and restarts)."""
        self.changing(view)
        view.last_fence += 1
        return view.last_fence

    @property
    def changed_views(self) -> list[RepoView]:
        """The views this unit changed."""
        return [self.views[key] for key in sorted(self._changed)]


class Arbiter:
    """The views of every repo this replica has held, and the units that change them."""

    def __init__(self, store: Store, clock: Clock, pipeline: Pipeline) -> None:
        self.store = store
        self.clock = clock
        self.pipeline = pipeline
        self.rows = ViewRows(store)
        self.views: dict[str, RepoView] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        """Units of this replica waiting for each repo's lock (PostgreSQL group commit)."""
        self._open: dict[str, Batch] = {}
        """Transactions left open for the units waiting behind them."""
        # With SQLite this process is the only writer: a view, once read, stays current.
        self._sole_writer = store.backend == "sqlite"

    def view(self, key: str) -> RepoView:
        """The view of a stored repo key (unknown until first held)."""
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = RepoView(key)
        return view

    @asynccontextmanager
    async def hold(self, repos: Iterable[str | None]) -> AsyncIterator[Unit]:
        """A unit holding every repo in `repos`; committed when the block ends cleanly."""
        keys = sorted({repo_key(repo) for repo in repos})
        if not self._sole_writer and len(keys) == 1:
            async with self._hold_shared(keys[0]) as shared:
                yield shared
            return
        locks = [self._locks.setdefault(key, asyncio.Lock()) for key in keys]
        for lock in locks:
            await lock.acquire()
        unit: Unit | None = None
        try:
            await self._commit_open(keys)
            views = {key: self.view(key) for key in keys}
            async with self.store.transaction(keys) as tx:
                unit = Unit(tx, views, self.clock())
                for view in views.values():
                    await self._make_current(unit, view)
                yield unit
                await self._seal(unit)
            for view in unit.changed_views:
                view.version += 1
                view.stored = True
        except BaseException:
            for view in unit.changed_views if unit is not None else ():
                view.version = UNKNOWN
            raise
        finally:
            for lock in reversed(locks):
                lock.release()
        await self.pipeline.committed(unit.changes, unit.tx.events)

    @asynccontextmanager
    async def _hold_shared(self, key: str) -> AsyncIterator[Unit]:
        """`hold` of one repo on PostgreSQL: the unit shares a commit with the units queued
        behind it for the same repo (see `_batches`)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            await lock.acquire()
        finally:
            self._waiting[key] -= 1
        held = True
        try:
            batch = self._open.pop(key, None) or await self._new_batch(key)
            view = self.view(key)
            unit = Unit(batch.transaction(), {key: view}, self.clock())
            savepoint = await batch.savepoint(unit.tx)
            try:
                await self._enter(batch, unit, view)
                yield unit
                await self._seal(unit)
            except BaseException as exc:
                await self._failed(key, batch, unit, savepoint, exc)
                raise
            for changed in unit.changed_views:  # in memory now; unknown again if the commit fails
                changed.version += 1
                changed.stored = True
            batch.joined(unit.changed_views)
            if self._waiting.get(key, 0) > 0:
                self._leave_open(key, batch)
                lock.release()
                held = False
                await batch.done
            else:
                await batch.commit()
        finally:
            if held:
                lock.release()
        await self.pipeline.committed(unit.changes, unit.tx.events)

    async def _commit_open(self, keys: Iterable[str]) -> None:
        """Commit the batches left open on `keys` (their transactions hold the repos' database
        locks, which this unit is about to take)."""
        for key in keys:
            batch = self._open.pop(key, None)
            if batch is not None:
                with contextlib.suppress(Exception):  # its units get the error
                    await batch.commit()

    async def _new_batch(self, key: str) -> Batch:
        batch = Batch()
        await batch.open(self.store, [key])
        return batch

    async def _enter(self, batch: Batch, unit: Unit, view: RepoView) -> None:
        """Prove the view current: once per batch (the batch holds the repo's lock since), or
        again when a unit before this one failed and left it unknown."""
        if batch.units == 0 or view.version == UNKNOWN:
            await self._make_current(unit, view)
        if batch.units == 0:
            batch.owners_revision = unit.owners_revision
        else:
            unit.owners_revision = batch.owners_revision

    async def _failed(
        self, key: str, batch: Batch, unit: Unit, savepoint: str | None, exc: BaseException
    ) -> None:
        """A unit failed: take back its writes, and let the batch go on for the others."""
        for view in unit.changed_views:
            view.version = UNKNOWN
        if savepoint is None:
            await batch.abort(exc)
            return
        try:
            await batch.undo(unit.tx, savepoint)
        except BaseException as undo_error:
            await batch.abort(undo_error)
            raise
        if self._waiting.get(key, 0) > 0:
            self._leave_open(key, batch)
        else:
            await batch.commit()

    def _leave_open(self, key: str, batch: Batch) -> None:
        """Hand the open batch to the units waiting for the repo; a closer queued behind them
        commits it, whoever of them gives up."""
        self._open[key] = batch
        if batch.closer is None:
            batch.closer = asyncio.create_task(self._close(key, batch))

    async def _close(self, key: str, batch: Batch) -> None:
        async with self._locks[key]:
            if self._open.get(key) is batch:
                del self._open[key]
                try:
                    await batch.commit()
                except Exception:  # the units waiting on it get the error
                    logger.warning("a shared commit of repo %r failed", key, exc_info=True)

    async def current(self, keys: Iterable[str]) -> list[RepoView]:
        """Views of `keys` proved current now, with no change half made (for reads)."""
        wanted = sorted(set(keys))
        if self._sole_writer and all(self.view(k).version != UNKNOWN for k in wanted):
            # One process whose units never give the event loop away: nothing is half made.
            return [self.views[key] for key in wanted]
        stored = await self.store.repos.versions()
        for key in wanted:
            if self.view(key).version != stored.get(key, 0):
                async with self.hold([key or None]):
                    pass  # holding it makes it current
            else:
                async with self._locks.setdefault(key, asyncio.Lock()):
                    pass  # a unit of this replica in progress on it ends first
            shared = self._open.get(key)
            if shared is not None:  # and a commit it shares, so nothing uncommitted is read
                await asyncio.wait([shared.done])
        return [self.views[key] for key in wanted]

    async def all_current(self) -> list[RepoView]:
        """Every repo's view that holds anything, proved current (for listings)."""
        keys = set(await self.store.claims.active_repos()) | {
            key for key, view in self.views.items() if view.claims or view.waiters
        }
        if not self._sole_writer:
            keys |= set(await self.store.repos.versions())
        return await self.current(keys)

    async def _make_current(self, unit: Unit, view: RepoView) -> None:
        if self._sole_writer and view.version != UNKNOWN:
            return
        state, revision = await self.store.repos.read_in(unit.tx, view.key)
        if not self._sole_writer:
            unit.owners_revision = revision
        if view.version == state.version and view.version != UNKNOWN:
            return
        known, view.version = view.version, UNKNOWN  # unknown until the patch is complete
        if known == UNKNOWN:
            await self.rows.load(unit.tx, view)
        else:
            await self.rows.patch(unit.tx, view, known)
        view.adopt(state)

    async def _seal(self, unit: Unit) -> None:
        for view in unit.changed_views:
            await self.store.repos.save(unit.tx, view.key, view.saved_state())
        await self.pipeline.seal(unit)
