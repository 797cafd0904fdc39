"""Everything one app instance owns, built from its settings (no module-level state)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request

from coord_engine.claims import Policy, QueuePolicy
from coord_protocol._base import SESSION_ID_PATTERN
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.metrics import Metrics
from coord_server.repo_files import RepoFiles
from coord_server.service.claims import ClaimService
from coord_server.service.hotspots import Hotspots
from coord_server.service.idempotency import Idempotency
from coord_server.service.inbox import Inbox
from coord_server.service.live import Broadcaster
from coord_server.service.ownership import Ownership
from coord_server.service.queue import QueueDesk
from coord_server.service.requests import ReleaseRequests
from coord_server.service.retention import Retention, RetentionPolicy
from coord_server.service.sessions import SessionActivity
from coord_server.service.symbol_check import SymbolValidator
from coord_server.service.webhooks import WebhookDeliverer, webhook_deliverer
from coord_server.settings import Settings
from coord_server.storage import Store

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
    metrics: Metrics
    sessions: SessionActivity
    claims: ClaimService
    desk: QueueDesk
    idempotency: Idempotency
    repo_files: RepoFiles | None
    symbols: SymbolValidator | None
    version: str
    live: Broadcaster
    webhooks: WebhookDeliverer | None
    retention: Retention
    ownership: Ownership
    requests: ReleaseRequests
    inbox: Inbox
    hotspots: Hotspots

    @classmethod
    def build(cls, settings: Settings, store: Store, clock: Clock, version: str) -> AppContext:
        """Wire the service objects together."""
        sessions = SessionActivity(store, settings.idle_timeout_sec)
        policy = Policy(
            default_ttl_hours=settings.default_ttl_hours,
            shared_ttl_hours=settings.shared_ttl_hours,
        )
        claims = ClaimService(store, clock, policy, sessions)
        qpolicy = QueuePolicy(
            age_boost_seconds=settings.queue_age_boost_seconds,
            decay_seconds=settings.queue_priority_decay_sec,
            fairness_interval=settings.queue_fairness_interval,
        )
        repo_files = symbols = None
        if settings.repo_root is not None:
            repo_files = RepoFiles(
                settings.repo_root, settings.repo_scope, settings.ls_files_cache_ttl_sec
            )
            symbols = SymbolValidator(settings.repo_root)
        desk = QueueDesk(claims, qpolicy)  # first release listener: queues are served first
        ownership = Ownership(claims)
        requests = ReleaseRequests(claims, settings.request_ttl_short_sec)
        live = Broadcaster()
        store.hooks.after_commit.append(live.publish)
        return cls(
            settings=settings,
            store=store,
            clock=clock,
            metrics=Metrics(),
            sessions=sessions,
            claims=claims,
            desk=desk,
            idempotency=Idempotency(store, clock),
            repo_files=repo_files,
            symbols=symbols,
            version=version,
            live=live,
            webhooks=webhook_deliverer(store, settings, clock),
            retention=Retention(store, RetentionPolicy.from_settings(settings), clock),
            ownership=ownership,
            requests=requests,
            inbox=Inbox(claims, requests),
            hotspots=Hotspots(claims, ownership, settings),
        )

    def touch(self, request: Request, session_id: str | None) -> str | None:
        """Count the request as activity of its session (header or body/query field)."""
        header = request.headers.get("x-coord-session")
        if header is not None and not _valid_session(header):
            raise CoordError(
                ErrorCode.INVALID_SESSION,
                "X-Coord-Session must be 1-128 characters of A-Z a-z 0-9 . _ : -",
            )
        session = session_id or header
        if session:
            principal = request.scope.get("coord.principal")
            self.sessions.touch(session, principal, self.clock())
        return session


def context(request: Request) -> AppContext:
    """The app context of the app serving `request`."""
    ctx: AppContext = request.app.state.coord
    return ctx


def _valid_session(value: str) -> bool:
    return _SESSION.fullmatch(value) is not None
