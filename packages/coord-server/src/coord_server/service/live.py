"""Live events: committed event rows fanned out to every open `GET /events` stream.

The broadcaster publishes events in id order and keeps a horizon: the highest id such that
every event up to it has been published. On SQLite the events of each commit are published
right after it (one writer, so ids commit in order). On PostgreSQL transactions of different
repos commit in any order, so a feed reads the log after each signal and publishes only up to
the first id not committed yet (waiting a moment for it, then passing over an id whose
transaction rolled back).

A stream subscribes first, then replays the log from its resume point up to the horizon, then
follows the live feed: every event reaches it exactly once. A subscriber too slow to keep up
loses its live backlog and catches up from the log the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from coord_protocol.errors import CoordError, ErrorCode
from coord_server.service.changes import Changes
from coord_server.service.events import payload_json
from coord_server.storage import Row, Store, repo_key
from coord_server.storage.events import event_filters

BACKLOG_LIMIT = 1000
"""Live events one subscriber may have unsent before it falls back to reading the log."""

REPLAY_PAGE = 500
"""Events read from the log per query while catching up."""

HEARTBEAT_SEC = 15.0
"""Silence after which a stream sends a comment, so proxies and clients see it is alive."""

GAP_WAIT_SEC = 2.0
"""How long the feed waits for a missing event id to commit before passing over it (its
transaction rolled back; transactions here last milliseconds)."""

GAP_RECHECK_SEC = 0.05
"""How soon the feed looks again while it waits for a missing id."""

logger = logging.getLogger("coord.live")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One committed event, ready to send: its log id, the fields filters use, its JSON."""

    id: int
    event_type: str
    repo: str
    """Stored repo key (empty for the no-repo bucket)."""
    engineer: str | None
    data: str
    """The `WebhookPayload` JSON, the same text a webhook receives."""

    @classmethod
    def from_row(cls, row: Row) -> LiveEvent:
        """From a stored event row (with its id)."""
        return cls(
            id=row["id"],
            event_type=row["event_type"],
            repo=row["repo"],
            engineer=row["engineer"],
            data=payload_json(row),
        )


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What one stream asked for; an unset field admits everything."""

    repo: str | None = None
    engineer: str | None = None
    types: frozenset[str] = frozenset()

    def matches(self, event: LiveEvent) -> bool:
        """Whether `event` belongs on the stream."""
        return (
            (self.repo is None or event.repo == repo_key(self.repo))
            and (self.engineer is None or event.engineer == self.engineer)
            and (not self.types or event.event_type in self.types)
        )

    def conditions(self) -> list[Any]:
        """The same filter as SQL conditions on the event log."""
        repo = None if self.repo is None else repo_key(self.repo)
        return event_filters(repo, self.engineer, self.types, None)


class Subscription:
    """One stream's queue of live events, filled by the broadcaster."""

    def __init__(self, limit: int) -> None:
        self._queue: asyncio.Queue[LiveEvent | None] = asyncio.Queue(limit)
        self._loop = asyncio.get_running_loop()
        self.overflowed = False
        """Set when events were dropped: the stream must catch up from the log."""
        self.ended = False
        """Set when the broadcaster closed."""

    def offer(self, events: Sequence[LiveEvent]) -> None:
        """Queue events, from any thread; on overflow drop them and flag the gap."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._put(events)
        else:
            self._loop.call_soon_threadsafe(self._put, events)

    def _put(self, events: Sequence[LiveEvent | None]) -> None:
        for event in events:
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                self.overflowed = True
                return

    def end(self) -> None:
        """Make the stream finish (the service is shutting down)."""
        self._loop.call_soon_threadsafe(self._put_end)

    def _put_end(self) -> None:
        self.ended = True
        while self._queue.full():  # unsent events do not matter any more: the stream stops
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def next(self, timeout: float) -> LiveEvent | None:
        """The next live event; None after `timeout` seconds without one. Raises at the end."""
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see service/expiry.py
                event = await self._queue.get()
        except TimeoutError:
            return None
        if event is None:
            raise BroadcasterClosedError
        return event

    def reset(self) -> None:
        """Forget the queued events after an overflow (the log has them)."""
        if self.ended:
            raise BroadcasterClosedError
        while not self._queue.empty():
            self._queue.get_nowait()
        self.overflowed = False


class BroadcasterClosedError(Exception):
    """The broadcaster closed: the service is stopping."""


class ChangeWatch:
    """A stream that only needs to know that something was committed (the dashboard's): a flag,
    not a queue, so a commit costs it one `set()` however many events it carried."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.ended = False

    def poke(self) -> None:
        """Something was committed."""
        self._changed.set()

    def end(self) -> None:
        """Make the stream finish (the service is shutting down)."""
        self.ended = True
        self._changed.set()

    async def wait(self, timeout: float) -> bool:
        """True once something was committed since the last call; False after `timeout`
        seconds of quiet. Raises at the end."""
        try:
            async with asyncio.timeout(timeout):
                await self._changed.wait()
        except TimeoutError:
            return False
        if self.ended:
            raise BroadcasterClosedError
        self._changed.clear()
        return True


class StreamSlot:
    """A place under the stream cap, held from the request's check until its stream opens."""

    __slots__ = ()


class Broadcaster:
    """Fans every committed event out to the open subscriptions, in id order."""

    def __init__(self, max_streams: int, backlog_limit: int = BACKLOG_LIMIT) -> None:
        self.max_streams = max_streams
        self.backlog_limit = backlog_limit
        self.heartbeat_sec = HEARTBEAT_SEC
        self.horizon = 0
        """Every event with an id up to this one has been published."""
        self._subscriptions: set[Subscription] = set()
        self._watches: set[ChangeWatch] = set()
        self._reserved: set[StreamSlot] = set()
        """Slots given to streams whose response has not begun yet: counted, so requests that
        arrive together cannot all pass the cap before the first of them subscribes."""
        self._closed = False

    def publish(self, rows: Sequence[Row]) -> None:
        """Announce committed event rows, whose ids follow the horizon without a gap."""
        if not rows:
            return
        self.horizon = max(self.horizon, *(row["id"] for row in rows))
        if not self._subscriptions:
            return
        events = [LiveEvent.from_row(row) for row in rows]
        for subscription in list(self._subscriptions):
            subscription.offer(events)

    async def changed(self, _changes: Changes, _events: Sequence[Row]) -> None:
        """After every commit: poke the change watches (a queue entry parked or a request filed
        changes the dashboard's picture without an event of its own)."""
        for watch in self._watches:
            watch.poke()

    @contextlib.contextmanager
    def watch(self, slot: StreamSlot | None = None) -> Iterator[ChangeWatch]:
        """A change watch for the duration of the block (it counts as a stream; it takes the
        place of `slot`, if one was reserved for it)."""
        self.release(slot)
        watch = ChangeWatch()
        if self._closed:
            watch.end()
        self._watches.add(watch)
        try:
            yield watch
        finally:
            self._watches.discard(watch)

    def reserve(self) -> StreamSlot:
        """A slot for a stream about to open, or 429 past COORD_MAX_EVENT_STREAMS; release it
        with `release` unless `subscribe` or `watch` takes it."""
        self.check_room()
        slot = StreamSlot()
        self._reserved.add(slot)
        return slot

    def release(self, slot: StreamSlot | None) -> None:
        """Give back a reserved slot (again is harmless)."""
        if slot is not None:
            self._reserved.discard(slot)

    def check_room(self) -> None:
        """Refuse (429) a new stream past COORD_MAX_EVENT_STREAMS."""
        open_streams = len(self._subscriptions) + len(self._watches) + len(self._reserved)
        if open_streams >= self.max_streams:
            raise CoordError(
                ErrorCode.RATE_LIMITED,
                f"{open_streams} event streams are open on this replica, the most "
                f"allowed (COORD_MAX_EVENT_STREAMS={self.max_streams}); close one, or retry in a "
                "few seconds.",
                cap="COORD_MAX_EVENT_STREAMS",
                retry_after=5,
            )

    @contextlib.contextmanager
    def subscribe(self, slot: StreamSlot | None = None) -> Iterator[Subscription]:
        """A subscription for the duration of the block (in place of `slot`, if reserved)."""
        self.release(slot)
        subscription = Subscription(self.backlog_limit)
        if self._closed:
            subscription.end()
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    def close(self) -> None:
        """End every stream (at shutdown) and refuse to keep new ones open."""
        self._closed = True
        for subscription in list(self._subscriptions):
            subscription.end()
        for watch in list(self._watches):
            watch.end()

    @property
    def subscribers(self) -> int:
        """Open subscriptions."""
        return len(self._subscriptions)


class DirectFeed:
    """SQLite: each commit's events are published right after it (ids commit in order)."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        self.broadcaster = broadcaster

    async def start(self, store: Store) -> None:
        """Begin at the newest stored event."""
        self.broadcaster.horizon = await store.events.last_id()

    async def committed(self, _changes: Changes, events: Sequence[Row]) -> None:
        """After a commit: publish its events."""
        self.broadcaster.publish(events)

    def poke(self) -> None:
        """Nothing to read: every event was published at its commit."""

    async def run(self) -> None:
        """Nothing runs in the background."""
        await asyncio.Event().wait()


class LogFeed:
    """PostgreSQL: read the log after each signal (or local commit), publish in id order."""

    def __init__(self, store: Store, broadcaster: Broadcaster) -> None:
        self.store = store
        self.broadcaster = broadcaster
        self._poked = asyncio.Event()
        self._gap_since: float | None = None

    async def start(self, store: Store) -> None:
        """Begin at the newest stored event."""
        self.broadcaster.horizon = await store.events.last_id()

    async def committed(self, _changes: Changes, events: Sequence[Row]) -> None:
        """After a local commit: read the log (this replica's events come from it too)."""
        if events:
            self.poke()

    def poke(self) -> None:
        """New events may be in the log."""
        self._poked.set()

    async def run(self) -> None:
        """Read and publish until cancelled."""
        while True:
            waiting_for_gap = self._gap_since is not None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(GAP_RECHECK_SEC if waiting_for_gap else None):
                    await self._poked.wait()
            self._poked.clear()
            try:
                await self._catch_up()
            except Exception:  # a boundary: the next signal reads again from the horizon
                logger.exception("reading new events failed; trying again")

    async def _catch_up(self) -> None:
        while True:
            rows = await self.store.events.after(self.broadcaster.horizon, REPLAY_PAGE)
            ready = self._up_to_gap(rows)
            self.broadcaster.publish(ready)
            if len(rows) < REPLAY_PAGE or len(ready) < len(rows):
                return

    def _up_to_gap(self, rows: list[Row]) -> list[Row]:
        """The rows that follow the horizon without a missing id (waiting a while for one)."""
        expected = self.broadcaster.horizon + 1
        ready: list[Row] = []
        for row in rows:
            if row["id"] != expected and not self._gap_expired():
                return ready
            self._gap_since = None
            ready.append(row)
            expected = row["id"] + 1
        return ready

    def _gap_expired(self) -> bool:
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        return now - self._gap_since >= GAP_WAIT_SEC


async def follow(
    store: Store,
    broadcaster: Broadcaster,
    subscription: Subscription,
    event_filter: EventFilter,
    after_id: int,
) -> AsyncGenerator[LiveEvent | None, None]:
    """Matching events in id order, from the log after `after_id` and then live.

    Subscribe first, then take `after_id` (the broadcaster's horizon for "from now on"): every
    event published after that point then reaches the subscription, and the replay reads the
    log only up to the horizon, so none is missed and none is sent twice. Yields None after the
    heartbeat interval of silence. Ends when the broadcaster closes.
    """
    last_id = after_id
    with contextlib.suppress(BroadcasterClosedError):
        while True:
            async for event in _replay(store, event_filter, last_id, broadcaster.horizon):
                last_id = event.id
                yield event
            while not subscription.overflowed:
                live = await subscription.next(broadcaster.heartbeat_sec)
                if live is None:
                    yield None
                elif live.id > last_id and event_filter.matches(live):
                    last_id = live.id
                    yield live
            subscription.reset()


async def _replay(
    store: Store, event_filter: EventFilter, after_id: int, upto: int
) -> AsyncIterator[LiveEvent]:
    conditions = event_filter.conditions()
    while after_id < upto:
        rows = await store.events.after(after_id, REPLAY_PAGE, upto, conditions)
        for row in rows:
            after_id = row["id"]
            yield LiveEvent.from_row(row)
        if len(rows) < REPLAY_PAGE:
            return
