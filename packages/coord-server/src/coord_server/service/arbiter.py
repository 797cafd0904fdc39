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
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

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
        locks = [self._locks.setdefault(key, asyncio.Lock()) for key in keys]
        for lock in locks:
            await lock.acquire()
        unit: Unit | None = None
        try:
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
