"""Reads and writes of coord's tables. Every write happens inside one `Transaction`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from coord_server.storage import schema
from coord_server.storage.schema import NO_REPO

Row = Mapping[str, Any]

logger = logging.getLogger("coord.storage")


@dataclass(slots=True)
class CommitHooks:
    """What happens around the event rows of a transaction; set up once when the app is built."""

    outbox_rows: Callable[[Sequence[Row]], list[Row]] | None = None
    """Builds webhook outbox rows for freshly inserted events (unset: no webhook configured)."""
    after_commit: list[Callable[[list[Row]], None]] = field(default_factory=list)
    """Told of the event rows (with their ids) of every committed transaction, in id order."""


def repo_key(repo: str | None) -> str:
    """The stored key of a repo bucket (the no-repo bucket is the empty string)."""
    return repo or NO_REPO


class Transaction:
    """Writes made on one connection and committed together, or not at all."""

    def __init__(self, connection: Connection, hooks: CommitHooks | None = None) -> None:
        self._connection = connection
        self._hooks = hooks or CommitHooks()
        self.events: list[Row] = []
        """Event rows inserted so far, with their ids: announced once the transaction commits."""

    def insert_claims(self, rows: Sequence[Row]) -> None:
        """Insert granted claim rows."""
        if rows:
            self._connection.execute(insert(schema.claims), list(rows))

    def set_fence(self, repo: str, last_fence: int, *, existed: bool) -> None:
        """Record the newest fence of a repo bucket."""
        if existed:
            statement = update(schema.fences).where(schema.fences.c.repo == repo)
            self._connection.execute(statement.values(last_fence=last_fence))
        else:
            self._connection.execute(insert(schema.fences).values(repo=repo, last_fence=last_fence))

    def release_claims(self, claim_ids: Sequence[str], at: datetime, reason: str) -> None:
        """Mark active claims released (or expired) at `at`."""
        if not claim_ids:
            return
        table = schema.claims
        statement = update(table).where(table.c.id.in_(claim_ids), table.c.released_at.is_(None))
        self._connection.execute(statement.values(released_at=at, release_reason=reason))

    def update_claim(self, claim_id: str, **values: Any) -> None:
        """Change columns of one claim."""
        table = schema.claims
        self._connection.execute(update(table).where(table.c.id == claim_id).values(**values))

    def touch_session(self, session_id: str, principal: str | None, at: datetime) -> None:
        """Record activity of a session, creating it on first use."""
        table = schema.sessions
        updated = self._connection.execute(
            update(table).where(table.c.session_id == session_id).values(last_activity=at)
        )
        if updated.rowcount == 0:
            self._connection.execute(
                insert(table).values(
                    session_id=session_id, principal=principal, created_at=at, last_activity=at
                )
            )

    def insert_queue_entry(self, row: Row) -> None:
        """Park a waiting claim request."""
        self._connection.execute(insert(schema.queue_entries).values(**row))

    def finish_queue_entry(
        self, queue_id: str, state: str, at: datetime, granted: Sequence[str] | None = None
    ) -> None:
        """Close a queue entry as granted, cancelled or expired."""
        table = schema.queue_entries
        self._connection.execute(
            update(table)
            .where(table.c.queue_id == queue_id)
            .values(state=state, finished_at=at, granted_claim_ids=list(granted or []))
        )

    def insert_blocked_attempts(self, rows: Sequence[Row]) -> None:
        """Record refused claim attempts (the hotspot signal)."""
        if rows:
            self._connection.execute(insert(schema.blocked_attempts), list(rows))

    def insert_events(self, rows: Sequence[Row]) -> None:
        """Append to the durable event log, and to the webhook outbox when one is configured.

        Both land in this transaction: an event is never delivered for a change that rolled
        back, and never lost for one that committed.
        """
        if not rows:
            return
        table = schema.events
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = self._connection.execute(statement, list(rows)).scalars().all()
        stored = [{**row, "id": event_id} for row, event_id in zip(rows, ids, strict=True)]
        self.events.extend(stored)
        if self._hooks.outbox_rows is not None:
            outbox = self._hooks.outbox_rows(stored)
            if outbox:
                self._connection.execute(insert(schema.webhook_outbox), outbox)

    def save_idempotent(
        self, key: str, request_hash: str, status: int, body: str, at: datetime
    ) -> None:
        """Remember the first answer to an idempotent request."""
        self._connection.execute(
            insert(schema.idempotency_keys).values(
                key=key, request_hash=request_hash, status_code=status, body=body, created_at=at
            )
        )


class Store:
    """Database access for the service: reads, and `transaction()` for writes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.hooks = CommitHooks()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One atomic unit of writes; its events are announced after the commit."""
        with self.engine.begin() as connection:
            tx = Transaction(connection, self.hooks)
            yield tx
        if tx.events:
            self._announce(tx.events)

    def _announce(self, events: list[Row]) -> None:
        for listener in self.hooks.after_commit:
            try:
                listener(events)
            except Exception:  # a boundary: the change is committed; a listener must not undo
                logger.exception("an event listener failed after commit")

    def ping(self) -> None:
        """Raise when the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _rows(self, statement: Any) -> list[Row]:
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(statement).mappings()]

    def active_claims(self) -> list[Row]:
        """Every claim not yet released, oldest first."""
        table = schema.claims
        return self._rows(
            select(table).where(table.c.released_at.is_(None)).order_by(table.c.created_at)
        )

    def fences(self) -> dict[str, int]:
        """Newest fence per repo bucket."""
        return {row["repo"]: row["last_fence"] for row in self._rows(select(schema.fences))}

    def sessions(self) -> dict[str, datetime]:
        """Last activity per session."""
        rows = self._rows(select(schema.sessions.c.session_id, schema.sessions.c.last_activity))
        return {row["session_id"]: row["last_activity"] for row in rows}

    def claims_history(self, filters: Mapping[str, str | None], limit: int) -> list[Row]:
        """Claims including released ones, newest first, filtered by exact column values."""
        table = schema.claims
        conditions = [
            table.c[name] == value for name, value in filters.items() if value is not None
        ]
        statement = select(table).where(and_(True, *conditions))
        return self._rows(statement.order_by(table.c.created_at.desc()).limit(limit))

    def claim(self, claim_id: str) -> Row | None:
        """One claim, active or not."""
        rows = self._rows(select(schema.claims).where(schema.claims.c.id == claim_id))
        return rows[0] if rows else None

    def waiting_queue_entries(self) -> list[Row]:
        """Queue entries still waiting (left over from a previous run)."""
        table = schema.queue_entries
        return self._rows(select(table).where(table.c.state == "waiting"))

    def idempotent(self, key: str) -> Row | None:
        """The remembered answer for an idempotency key, if any."""
        table = schema.idempotency_keys
        rows = self._rows(select(table).where(table.c.key == key))
        return rows[0] if rows else None

    def purge_idempotency(self, before: datetime) -> None:
        """Forget idempotency keys older than `before`."""
        table = schema.idempotency_keys
        with self.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.created_at < before))

    def last_activity_by_repo(self) -> dict[str, datetime]:
        """Newest claim creation or release per repo bucket."""
        table = schema.claims
        newest = func.max(func.coalesce(table.c.released_at, table.c.created_at))
        rows = self._rows(select(table.c.repo, newest.label("at")).group_by(table.c.repo))
        return {row["repo"]: row["at"] for row in rows}
