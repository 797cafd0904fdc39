"""The store: the database and its tables, one family of tables per attribute.

Reads go through a family (`store.claims.get(...)`); writes go through a family too, inside a
transaction from `store.transaction(locks)`, which holds the named repos' locks for its life.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from coord_server.storage._database import Backend, Database
from coord_server.storage._transaction import Transaction
from coord_server.storage.adherence import AdherenceRows
from coord_server.storage.claims import ClaimRows, RepoStateRows
from coord_server.storage.dashboard import DashboardSessionRows
from coord_server.storage.events import EventRows, OutboxRows
from coord_server.storage.hotspots import HotspotRows
from coord_server.storage.idempotency import IdempotencyRows
from coord_server.storage.negotiation import InboxRows, RequestRows
from coord_server.storage.ownership import OwnershipRows
from coord_server.storage.queue import QueueRows
from coord_server.storage.retention import RetainedRows
from coord_server.storage.sessions import SessionRows
from coord_server.storage.tokens import TokenRows


class Store:
    """Every table family of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.claims = ClaimRows(db)
        self.repos = RepoStateRows(db)
        self.queue = QueueRows(db)
        self.requests = RequestRows(db)
        self.inbox = InboxRows(db)
        self.events = EventRows(db)
        self.outbox = OutboxRows(db)
        self.ownership = OwnershipRows(db)
        self.sessions = SessionRows(db)
        self.idempotency = IdempotencyRows(db)
        self.hotspots = HotspotRows(db)
        self.retained = RetainedRows(db)
        self.tokens = TokenRows(db)
        self.dashboard = DashboardSessionRows(db)
        self.adherence = AdherenceRows(db)

    @property
    def backend(self) -> Backend:
        """`sqlite` or `postgresql`."""
        return self.db.backend

    def transaction(self, locks: Sequence[str] = ()) -> AbstractAsyncContextManager[Transaction]:
        """A transaction holding the locks of the repo keys in `locks` (see `Database`)."""
        return self.db.transaction(locks)
