"""Live events: committed event rows fanned out to every open `GET /events` stream.

The broadcaster is told of each transaction's events right after its commit (a store hook), so
a stream never shows a change that rolled back. A stream that resumes (`Last-Event-ID`) first
reads the durable event log, then continues with the live feed it subscribed to before reading:
an event committed in between arrives on both paths and is sent once, by id. A subscriber too
slow to keep up loses its live backlog and catches up from the log the same way, so no event is
skipped either.

Deduplicating by id relies on events reaching the broadcaster in id order, which holds because
every write commits on the event loop's thread, one transaction at a time. Replicas on
PostgreSQL will feed it from LISTEN/NOTIFY and must keep that order (or replay from the log).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from dataclasses import dataclass

from coord_server.service.events import payload_json
from coord_server.storage.store import Row, Store, repo_key

BACKLOG_LIMIT = 1000
"""Live events one subscriber may have unsent before it falls back to reading the log."""

REPLAY_PAGE = 500
"""Events read from the log per query while catching up."""

HEARTBEAT_SEC = 15.0
"""Silence after which a stream sends a comment, so proxies and clients see it is alive."""


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


class Broadcaster:
    """Fans every committed event out to the open subscriptions."""

    def __init__(self, backlog_limit: int = BACKLOG_LIMIT) -> None:
        self.backlog_limit = backlog_limit
        self.heartbeat_sec = HEARTBEAT_SEC
        self._subscriptions: set[Subscription] = set()
        self._closed = False

    def publish(self, rows: list[Row]) -> None:
        """Announce committed event rows (a store's after-commit hook)."""
        if not self._subscriptions:
            return
        events = [LiveEvent.from_row(row) for row in rows]
        for subscription in list(self._subscriptions):
            subscription.offer(events)

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """A subscription for the duration of the block."""
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

    @property
    def subscribers(self) -> int:
        """Open subscriptions."""
        return len(self._subscriptions)


async def follow(
    store: Store,
    subscription: Subscription,
    event_filter: EventFilter,
    after_id: int,
    heartbeat_sec: float,
) -> AsyncGenerator[LiveEvent | None, None]:
    """Matching events in id order, from the log after `after_id` and then live.

    Subscribe first, then take `after_id` (`store.last_event_id()` for "from now on"): every
    event committed after that point then reaches the subscription or the log, so none is
    missed. Yields None after `heartbeat_sec` of silence. Ends when the broadcaster closes.
    """
    last_id = after_id
    with contextlib.suppress(BroadcasterClosedError):
        while True:
            async for event in _replay(store, event_filter, last_id):
                last_id = event.id
                yield event
            while not subscription.overflowed:
                live = await subscription.next(heartbeat_sec)
                if live is None:
                    yield None
                elif live.id > last_id and event_filter.matches(live):
                    last_id = live.id
                    yield live
            subscription.reset()


async def _replay(
    store: Store, event_filter: EventFilter, after_id: int
) -> AsyncIterator[LiveEvent]:
    repo = None if event_filter.repo is None else repo_key(event_filter.repo)
    while True:
        rows = store.events_after(
            after_id, REPLAY_PAGE, repo, event_filter.engineer, event_filter.types
        )
        for row in rows:
            after_id = row["id"]
            yield LiveEvent.from_row(row)
        if len(rows) < REPLAY_PAGE:
            return
