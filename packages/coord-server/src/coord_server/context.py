"""Everything one app instance owns, built from its settings (no module-level state).

`AppContext.build` wires the service objects together in dependency order, then assembles the
pipeline that follows every commit and the receivers of the other replicas' signals: the order
of what happens after a change is written here, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request

from coord_engine.claims import Policy, QueuePolicy
from coord_protocol._base import SESSION_ID_PATTERN
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth import TokenBook, principal_of
from coord_server.metrics import Metrics
from coord_server.repo import Checkouts, CheckoutSettings, RegisteredCheckouts, ScopeChecker
from coord_server.service.adherence import Adherence
from coord_server.service.arbiter import Arbiter
from coord_server.service.claiming import Claiming
from coord_server.service.claims import ClaimBook
from coord_server.service.conflicts import ConflictCheck
from coord_server.service.events import EventLog
from coord_server.service.expiry import Expiry, ExpiryLoop
from coord_server.service.fences import FenceCheck
from coord_server.service.holdings import Holdings
from coord_server.service.hotspots import Hotspots
from coord_server.service.idempotency import Idempotency
from coord_server.service.inbox import Inbox
from coord_server.service.live import Broadcaster, DirectFeed, LogFeed
from coord_server.service.outbox import OutboxAdmin
from coord_server.service.overview import Overview
from coord_server.service.ownership import Ownership
from coord_server.service.pipeline import AfterCommit, Pipeline
from coord_server.service.policy import PolicyHolder
from coord_server.service.queue import QueueCaps, QueueDesk
from coord_server.service.records import new_id
from coord_server.service.requests import LongPolls, ReleaseRequests
from coord_server.service.retention import Retention, RetentionPolicy
from coord_server.service.sessions import SessionActivity
from coord_server.service.signals import Receivers, Signals
from coord_server.service.webhooks import WebhookDeliverer, webhook_deliverer
from coord_server.settings import Settings
from coord_server.storage import Lease, Store

Clock = Callable[[], datetime]
_SESSION = re.compile(SESSION_ID_PATTERN)


def utc_now() -> datetime:
    """The wall clock in UTC."""
    return datetime.now(UTC)


@dataclass
class AppContext:
    """The service objects of one app, reachable from every route as `request.app.state.coord`."""

    settings: Settings
    store: Store
    clock: Clock
    version: str
    replica: str
    lease: Lease
    metrics: Metrics
    arbiter: Arbiter
    claiming: Claiming
    holdings: Holdings
    conflicts: ConflictCheck
    fences: FenceCheck
    adherence: Adherence
    desk: QueueDesk
    requests: ReleaseRequests
    inbox: Inbox
    ownership: Ownership
    hotspots: Hotspots
    sessions: SessionActivity
    expiry: Expiry
    expiry_loop: ExpiryLoop
    idempotency: Idempotency
    live: Broadcaster
    feed: DirectFeed | LogFeed
    webhooks: WebhookDeliverer | None
    outbox: OutboxAdmin
    retention: Retention
    overview: Overview
    signals: Signals
    scope: ScopeChecker
    tokens: TokenBook

    @classmethod
    def build(cls, settings: Settings, store: Store, clock: Clock, version: str) -> AppContext:
        """Wire the service objects together, then the pipeline and the signal receivers."""
        replica = new_id("rep")
        lease = store.db.lease()
        pipeline = Pipeline()
        arbiter = Arbiter(store, clock, pipeline)
        base = Policy(
            default_ttl_hours=settings.default_ttl_hours,
            shared_ttl_hours=settings.shared_ttl_hours,
        )
        policy = PolicyHolder(store, base)
        book = ClaimBook(store, policy)
        signals = Signals(replica, enabled=store.backend != "sqlite")
        desk = QueueDesk(store, arbiter, book, _queue_policy(settings), _queue_caps(settings),
                         replica)  # fmt: skip
        scope = _scope_checker(settings)
        requests = ReleaseRequests(store, arbiter, book, settings.request_ttl_short_sec,
                                   LongPolls(settings.max_long_polls))  # fmt: skip
        ownership = Ownership(arbiter, book, policy)
        sessions = SessionActivity(store, settings.idle_timeout_sec)
        expiry = Expiry(store, arbiter, book, sessions, desk)
        live = Broadcaster(settings.max_event_streams)
        feed: DirectFeed | LogFeed = (
            DirectFeed(live) if store.backend == "sqlite" else LogFeed(store, live)
        )
        webhooks = webhook_deliverer(store, settings, clock, lease)
        ctx = cls(
            settings=settings,
            store=store,
            clock=clock,
            version=version,
            replica=replica,
            lease=lease,
            metrics=Metrics(),
            arbiter=arbiter,
            claiming=Claiming(arbiter, book, desk, scope),
            holdings=Holdings(store, arbiter, book),
            conflicts=ConflictCheck(arbiter, book, scope),
            fences=FenceCheck(store, clock),
            adherence=Adherence(store, arbiter, clock, settings.adherence_alert),
            desk=desk,
            requests=requests,
            inbox=Inbox(store, requests),
            ownership=ownership,
            hotspots=Hotspots(store, ownership, settings, clock),
            sessions=sessions,
            expiry=expiry,
            expiry_loop=ExpiryLoop(expiry, clock, lease, settings.cleanup_interval_sec),
            idempotency=Idempotency(store, clock, signals),
            live=live,
            feed=feed,
            webhooks=webhooks,
            outbox=OutboxAdmin(store, clock, webhooks.notify if webhooks else None),
            retention=Retention(store, RetentionPolicy.from_settings(settings), clock, lease),
            overview=Overview(store, arbiter),
            signals=signals,
            scope=scope,
            tokens=TokenBook(store, clock),
        )
        ctx._assemble(pipeline)
        return ctx

    def _assemble(self, pipeline: Pipeline) -> None:
        """What follows every commit, in order; and who hears the other replicas."""
        after_commit: list[AfterCommit] = [
            self.desk.answer,  # callers of entries that left the queue get their answer first
            self.requests.wake,
            self.feed.committed,
            self.live.changed,  # the dashboard re-reads its panels after every change
            *([self.webhooks.committed] if self.webhooks else []),
            self.expiry_loop.committed,
            self.metrics.committed,
            self.desk.serve_unblocked,  # new units: the queues behind what this change ended
            self.hotspots.auto_promote,  # reads the attempts this change stored
        ]
        pipeline.assemble(
            before_commit=[
                self.requests.end_orphaned,  # its events join the unit's before they are stored
                self.inbox.write_notices,
                self.hotspots.write_signals,
                EventLog(self.store).write,
                self.signals.tell,  # last: it says whether events were stored
            ],
            after_commit=after_commit,
        )
        self.signals.receivers = Receivers(
            queue_ended=self.desk.ended_elsewhere,
            requests_decided=self.requests.polls.wake,
            events_stored=self._events_elsewhere,
            deadline_moved=self.expiry_loop.notify,
            idempotency_done=self.idempotency.done,
            resync=self._resync,
        )
        self.metrics.bind_gauges(self.overview.active_claims, self.overview.queue_depth)

    def _events_elsewhere(self) -> None:
        self.feed.poke()
        if self.webhooks is not None:
            self.webhooks.notify()

    def _resync(self) -> None:
        self.desk.recheck_all()
        self.requests.polls.wake_all()
        self.idempotency.wake_all()
        self._events_elsewhere()
        self.expiry_loop.notify(None)

    async def touch(
        self, request: Request, session_id: str | None, acting: str | None = None
    ) -> str | None:
        """Count the request as activity of its session (header or body/query field), after
        checking that the session is the caller's own (`acting`: the engineer it acts as)."""
        header = request.headers.get("x-coord-session")
        if header is not None and not _valid_session(header):
            raise CoordError(
                ErrorCode.INVALID_SESSION,
                "X-Coord-Session must be 1-128 characters of A-Z a-z 0-9 . _ : -",
            )
        session = session_id or header
        if session:
            principal = principal_of(request)
            claimant = principal.session_owner(acting)
            if claimant is None:  # the operator naming nobody may use any session
                await self.sessions.touch(session, None, self.clock())
                return session
            owner = await self.sessions.owner(session)
            principal.check_session(session, owner, acting)  # before anything is written
            await self.sessions.touch(session, claimant, self.clock())
            if owner is None:
                # Another replica may have named the owner first: it wins.
                principal.check_session(session, await self.sessions.owner(session), acting)
        return session


def context(request: Request) -> AppContext:
    """The app context of the app serving `request`."""
    ctx: AppContext = request.app.state.coord
    return ctx


def _valid_session(value: str) -> bool:
    return _SESSION.fullmatch(value) is not None


def _queue_policy(settings: Settings) -> QueuePolicy:
    return QueuePolicy(
        age_boost_seconds=settings.queue_age_boost_seconds,
        decay_seconds=settings.queue_priority_decay_sec,
        fairness_interval=settings.queue_fairness_interval,
    )


def _queue_caps(settings: Settings) -> QueueCaps:
    return QueueCaps(settings.max_queue_per_engineer, settings.max_queue_total)


def _scope_checker(settings: Settings) -> ScopeChecker:
    configured = CheckoutSettings(
        settings.repo_root, settings.repo_roots, settings.repo_scope,
        settings.ls_files_cache_ttl_sec,
    )  # fmt: skip
    # Registrations are paths on this machine: only a local SQLite service stores them.
    local = settings.database_backend == "sqlite"
    registered = RegisteredCheckouts.beside(settings.database_path) if local else None
    return ScopeChecker(
        Checkouts(configured, registered), settings.max_claim_files, settings.max_claim_ratio
    )
