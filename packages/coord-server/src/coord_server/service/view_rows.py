"""Reading a repo's view from its rows: whole, or only what changed since a version."""

from __future__ import annotations

from typing import Any

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.queue import QueueEntry
from coord_protocol.vocab import ClaimType, Urgency
from coord_server.service.records import ClaimRecord, GrantContext
from coord_server.service.view import PendingRequest, RepoView, Waiter
from coord_server.storage import Row, Store, Transaction

WAITING = "waiting"
PENDING = "pending"


class ViewRows:
    """Fills and patches views from the claims, queue and request tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def load(self, tx: Transaction, view: RepoView) -> None:
        """Read the repo afresh: its active claims, waiting entries and pending requests."""
        view.clear()
        for row in await self.store.claims.active_in(tx, view.key):
            view.add(ClaimRecord.from_row(row))
        for row in await self.store.queue.waiting_in(tx, view.key):
            _keep_waiter(view, row)
        for row in await self.store.requests.pending_in(tx, view.key):
            view.pending[row["id"]] = PendingRequest(row["id"], row["claim_id"])

    async def patch(self, tx: Transaction, view: RepoView, since_version: int) -> None:
        """Apply the rows other replicas changed after `since_version`."""
        for row in await self.store.claims.changed_in(tx, view.key, since_version):
            if row["released_at"] is None:
                view.add(ClaimRecord.from_row(row))
            else:
                view.remove(row["id"])
        for row in await self.store.queue.changed_in(tx, view.key, since_version):
            if row["state"] == WAITING:
                _keep_waiter(view, row)
            else:
                view.waiters.pop(row["queue_id"], None)
        for row in await self.store.requests.changed_in(tx, view.key, since_version):
            if row["state"] == PENDING:
                view.pending[row["id"]] = PendingRequest(row["id"], row["claim_id"])
            else:
                view.pending.pop(row["id"], None)


def request_json(request: ClaimRequest, context: GrantContext) -> dict[str, Any]:
    """A parked request as stored in `queue_entries.request`: canonical, ready to decide."""
    return {
        "engineer": request.engineer,
        "session_id": request.session_id,
        "repo": request.repo,
        "ttl_hours": request.ttl_hours,
        "items": [
            [
                str(item.type),
                item.pattern,
                list(item.symbols) if item.symbols else None,
                item.narrowable,
            ]
            for item in request.items
        ],
        "branch": context.branch,
        "description": context.description,
    }


def waiter_from_row(row: Row) -> Waiter | None:
    """The waiter a stored entry describes (None for a row this version cannot read)."""
    stored = row["request"]
    if not isinstance(stored, dict) or "items" not in stored:
        return None  # written by an older version: its caller is long gone, it ends as orphan
    items = tuple(
        ClaimItem(ClaimType(kind), pattern, tuple(symbols) if symbols else None, narrowable)
        for kind, pattern, symbols, narrowable in stored["items"]
    )
    request = ClaimRequest(
        stored["engineer"], stored["session_id"], stored["repo"], items, stored["ttl_hours"]
    )
    entry = QueueEntry(
        row["queue_id"], Urgency(row["urgency"]), row["enqueued_at"], row["seq"], request
    )
    context = GrantContext(stored["branch"], stored["description"], row["queue_id"])
    return Waiter(entry, context, row["expires_at"], row["replica"])


def _keep_waiter(view: RepoView, row: Row) -> None:
    waiter = waiter_from_row(row)
    if waiter is not None:
        view.waiters[waiter.queue_id] = waiter
