"""Reads and writes of coord's tables. Every write happens inside one `Transaction`."""

from __future__ import annotations

import logging
import threading
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
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.sql.expression import UpdateBase

from coord_server.storage import schema
from coord_server.storage._prepared import Prepared, PreparedStatements
from coord_server.storage._writer import WriteConnection
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
    """Writes made on one connection and committed together, or not at all.

    The writes every claim, release and refusal makes run as prepared statements (see
    `_prepared`); the rarer ones are built by SQLAlchemy on each call.
    """

    def __init__(
        self,
        connection: Connection,
        hooks: CommitHooks | None = None,
        statements: PreparedStatements | None = None,
    ) -> None:
        self._connection = connection
        self._hooks = hooks or CommitHooks()
        self._statements = statements or PreparedStatements(connection.dialect)
        self.events: list[Row] = []
        """Event rows inserted so far, with their ids: announced once the transaction commits."""

    def _prepared(
        self, key: str, build: Callable[[], UpdateBase], names: Sequence[str]
    ) -> Prepared:
        return self._statements.get((key, *names), build, names)

    def _insert(self, table: Table, rows: Sequence[Row]) -> Prepared:
        """The insert of rows shaped like `rows[0]` (every row of one call has the same keys)."""
        return self._prepared(f"insert {table.name}", lambda: insert(table), tuple(rows[0]))

    def insert_claims(self, rows: Sequence[Row]) -> None:
        """Insert granted claim rows."""
        if rows:
            self._insert(schema.claims, rows).run_many(self._connection, rows)

    def set_fence(self, repo: str, last_fence: int, *, existed: bool) -> None:
        """Record the newest fence of a repo bucket."""
        if existed:
            update_fence = self._prepared("set_fence", _fence_update, ("b_repo", "last_fence"))
            update_fence.run(self._connection, {"b_repo": repo, "last_fence": last_fence})
        else:
            row = {"repo": repo, "last_fence": last_fence}
            self._insert(schema.fences, [row]).run(self._connection, row)

    def release_claims(self, claim_ids: Sequence[str], at: datetime, reason: str) -> None:
        """Mark active claims released (or expired) at `at`."""
        if not claim_ids:
            return
        names = ("b_id", "released_at", "release_reason")
        release = self._prepared("release_claims", _release_update, names)
        rows = [{"b_id": claim_id, "released_at": at, "release_reason": reason}
                for claim_id in dict.fromkeys(claim_ids)]  # fmt: skip
        release.run_many(self._connection, rows)

    def update_claim(self, claim_id: str, **values: Any) -> None:
        """Change columns of one claim."""
        table = schema.claims
        self._connection.execute(update(table).where(table.c.id == claim_id).values(**values))

    def touch_session(self, session_id: str, principal: str | None, at: datetime) -> None:
        """Record activity of a session, creating it on first use."""
        names = ("b_session_id", "last_activity")
        touch = self._prepared("touch_session", _session_update, names)
        if touch.run(self._connection, {"b_session_id": session_id, "last_activity": at}) == 0:
            row = {"session_id": session_id, "principal": principal, "created_at": at,
                   "last_activity": at}  # fmt: skip
            self._insert(schema.sessions, [row]).run(self._connection, row)

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
            self._insert(schema.blocked_attempts, rows).run_many(self._connection, rows)

    def insert_events(self, rows: Sequence[Row]) -> None:
        """Append to the durable event log, and to the webhook outbox when one is configured.

        Both land in this transaction: an event is never delivered for a change that rolled
        back, and never lost for one that committed.
        """
        if not rows:
            return
        ids = self._insert(schema.events, rows).insert_ids(self._connection, rows)
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

    def update_delivery(self, row_id: int, **values: Any) -> None:
        """Record the outcome of a webhook delivery attempt."""
        table = schema.webhook_outbox
        self._connection.execute(update(table).where(table.c.id == row_id).values(**values))

    # -- release requests, inbox, ownership ---------------------------------------------------

    def insert_release_request(self, row: Row) -> None:
        """File a release request."""
        self._connection.execute(insert(schema.release_requests).values(**row))

    def update_release_request(self, request_id: str, **values: Any) -> None:
        """Change columns of one release request."""
        table = schema.release_requests
        self._connection.execute(update(table).where(table.c.id == request_id).values(**values))

    def insert_request_events(self, rows: Sequence[Row]) -> None:
        """Append steps to release requests' audit timelines."""
        if rows:
            self._connection.execute(insert(schema.request_events), list(rows))

    def bump_inbox_notice(
        self, claim_id: str, kind: str, other_engineer: str, **values: Any
    ) -> bool:
        """Count one more occurrence of a notice; False when there is none to count yet."""
        names = tuple(values)
        bump = self._prepared("bump_inbox_notice", lambda: _notice_bump(names), (*_NOTICE, *names))
        params = {"b_claim_id": claim_id, "b_kind": kind, "b_other_engineer": other_engineer}
        return bump.run(self._connection, {**params, **values}) > 0

    def insert_inbox_notices(self, rows: Sequence[Row]) -> None:
        """Add holder inbox notices."""
        if rows:
            self._insert(schema.inbox_notices, rows).run_many(self._connection, rows)

    def insert_ownership_document(self, text: str, source: str, at: datetime) -> None:
        """Store a new revision of owners.yaml (the newest one is in force)."""
        table = schema.ownership_documents
        self._connection.execute(insert(table).values(text=text, source=source, at=at))

    def insert_shared_contention(self, rows: Sequence[Row]) -> None:
        """Record shared grants that met other holders."""
        if rows:
            self._connection.execute(insert(schema.shared_contention), list(rows))


class Store:
    """Database access for the service: reads, and `transaction()` for writes.

    Writes run on one long-lived connection (they all come from the event loop's thread, one at
    a time): checking a connection out of the pool for each would cost more than most writes.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.hooks = CommitHooks()
        self._statements = PreparedStatements(engine.dialect)
        self._writer = WriteConnection(engine)
        self._writer_free = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One atomic unit of writes; its events are announced after the commit."""
        if self._writer_free.acquire(blocking=False):
            try:
                tx = Transaction(self._writer.begin(), self.hooks, self._statements)
                try:
                    yield tx
                    self._writer.commit()
                except BaseException:
                    self._writer.rollback()  # after which the connection serves the next one
                    raise
            finally:
                self._writer_free.release()
        else:
            # Another thread writes right now (or this is a nested call): a pooled connection,
            # which the database's own locking orders after the other writer.
            with self.engine.begin() as connection:
                tx = Transaction(connection, self.hooks, self._statements)
                yield tx
        if tx.events:
            self._announce(tx.events)

    def close(self) -> None:
        """Give the write connection back to the pool (before the engine is disposed)."""
        with self._writer_free:
            self._writer.close()

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

    # -- the event log and the webhook outbox ------------------------------------------------

    def events_after(
        self,
        after_id: int,
        limit: int,
        repo: str | None = None,
        engineer: str | None = None,
        types: frozenset[str] = frozenset(),
    ) -> list[Row]:
        """Events with an id above `after_id`, oldest first, matching the filters given."""
        table = schema.events
        conditions = [table.c.id > after_id]
        if repo is not None:
            conditions.append(table.c.repo == repo)
        if engineer is not None:
            conditions.append(table.c.engineer == engineer)
        if types:
            conditions.append(table.c.event_type.in_(sorted(types)))
        statement = select(table).where(*conditions).order_by(table.c.id).limit(limit)
        return self._rows(statement)

    def last_event_id(self) -> int:
        """Id of the newest event (0 when the log is empty)."""
        with self.engine.connect() as connection:
            newest: int | None = connection.execute(select(func.max(schema.events.c.id))).scalar()
        return newest or 0

    def due_deliveries(self, now: datetime, limit: int) -> list[Row]:
        """Outbox rows waiting for an attempt that is due by `now`, longest waiting first."""
        table = schema.webhook_outbox
        statement = (
            select(table)
            .where(table.c.state.in_(WAITING_DELIVERY), table.c.next_attempt_at <= now)
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(limit)
        )
        return self._rows(statement)

    def next_delivery_due(self) -> datetime | None:
        """When the earliest waiting outbox row is due, if any waits."""
        table = schema.webhook_outbox
        due = select(func.min(table.c.next_attempt_at)).where(table.c.state.in_(WAITING_DELIVERY))
        with self.engine.connect() as connection:
            moment: datetime | None = connection.execute(due).scalar()
        return moment

    def outbox_counts(self, since: datetime) -> list[Row]:
        """Outbox rows created since `since`, counted per event type and state."""
        table = schema.webhook_outbox
        count = func.count().label("count")
        statement = (
            select(table.c.event_type, table.c.state, count)
            .where(table.c.created_at >= since)
            .group_by(table.c.event_type, table.c.state)
        )
        return self._rows(statement)

    def outbox_backlog(self) -> Row:
        """`count` of rows waiting for delivery and `oldest`, the creation time of the oldest."""
        table = schema.webhook_outbox
        statement = select(
            func.count().label("count"), func.min(table.c.created_at).label("oldest")
        ).where(table.c.state.in_(WAITING_DELIVERY))
        return self._rows(statement)[0]

    def outbox_tail(self, limit: int, state: str | None = None) -> list[Row]:
        """The newest outbox rows (in one state when given), newest first."""
        table = schema.webhook_outbox
        statement = select(table).order_by(table.c.id.desc()).limit(limit)
        if state is not None:
            statement = statement.where(table.c.state == state)
        return self._rows(statement)

    def rearm_deliveries(
        self, states: Sequence[str], delivery_ids: Sequence[str] | None, at: datetime
    ) -> int:
        """Set rows in `states` back to pending, due at `at`, with a fresh attempt budget."""
        table = schema.webhook_outbox
        statement = update(table).where(table.c.state.in_(list(states)))
        if delivery_ids is not None:
            statement = statement.where(table.c.delivery_id.in_(list(delivery_ids)))
        values = {"state": "pending", "attempts": 0, "next_attempt_at": at}
        with self.engine.begin() as connection:
            return connection.execute(statement.values(**values)).rowcount

    def purge_deliveries(self, before: datetime, states: Sequence[str]) -> int:
        """Delete outbox rows in `states` created before `before`."""
        table = schema.webhook_outbox
        condition = and_(table.c.state.in_(list(states)), table.c.created_at < before)
        with self.engine.begin() as connection:
            return connection.execute(delete(table).where(condition)).rowcount

    # -- retention -------------------------------------------------------------------------

    def purge_old_rows(self, kind: str, before: datetime, limit: int) -> int:
        """Delete up to `limit` rows of a retained table (see `RETAINED`) older than `before`."""
        table, key, condition = _retained(kind, before)
        doomed = select(key).where(condition).limit(limit)
        with self.engine.begin() as connection:
            return connection.execute(delete(table).where(key.in_(doomed))).rowcount

    # -- release requests, inbox, ownership, hotspots ---------------------------------------

    def release_request(self, request_id: str) -> Row | None:
        """One release request."""
        table = schema.release_requests
        rows = self._rows(select(table).where(table.c.id == request_id))
        return rows[0] if rows else None

    def release_requests(
        self, filters: Mapping[str, str | None], engineer: str | None, limit: int
    ) -> list[Row]:
        """Release requests, newest first, by exact column values; `engineer` on either side."""
        table = schema.release_requests
        conditions = [
            table.c[name] == value for name, value in filters.items() if value is not None
        ]
        if engineer is not None:
            conditions.append((table.c.requester == engineer) | (table.c.holder == engineer))
        statement = select(table).where(and_(True, *conditions))
        return self._rows(statement.order_by(table.c.created_at.desc(), table.c.id).limit(limit))

    def release_requests_by_id(self, request_ids: Sequence[str]) -> list[Row]:
        """The named release requests, newest first."""
        table = schema.release_requests
        statement = select(table).where(table.c.id.in_(list(request_ids)))
        return self._rows(statement.order_by(table.c.created_at.desc(), table.c.id))

    def pending_release_requests(self) -> list[Row]:
        """Release requests still waiting for an answer, oldest first."""
        table = schema.release_requests
        statement = select(table).where(table.c.state == "pending")
        return self._rows(statement.order_by(table.c.created_at))

    def request_events(self, request_id: str) -> list[Row]:
        """The audit timeline of one release request, oldest first."""
        table = schema.request_events
        statement = select(table).where(table.c.request_id == request_id)
        return self._rows(statement.order_by(table.c.id))

    def inbox_notices(self, claim_ids: Sequence[str], since: datetime | None) -> list[Row]:
        """Inbox notices about the given claims (changed after `since`), newest first."""
        table = schema.inbox_notices
        conditions: list[ColumnElement[bool]] = [table.c.claim_id.in_(list(claim_ids))]
        if since is not None:
            conditions.append(table.c.at > since)
        statement = select(table).where(*conditions)
        return self._rows(statement.order_by(table.c.at.desc(), table.c.id.desc()))

    def ownership_document(self) -> Row | None:
        """The owners.yaml revision in force (the newest), if any was stored."""
        table = schema.ownership_documents
        rows = self._rows(select(table).order_by(table.c.id.desc()).limit(1))
        return rows[0] if rows else None

    def blocked_attempts_since(
        self, since: datetime, repo: str | None = None, patterns: Sequence[str] | None = None
    ) -> list[Row]:
        """Blocked claim attempts after `since` (of one stored repo key, of some patterns)."""
        table = schema.blocked_attempts
        conditions = [table.c.at > since]
        if repo is not None:
            conditions.append(table.c.repo == repo)
        if patterns is not None:
            conditions.append(table.c.pattern.in_(list(patterns)))
        return self._rows(select(table).where(*conditions).order_by(table.c.at))

    def shared_contention_since(self, since: datetime) -> list[Row]:
        """Shared grants that met other holders, after `since`."""
        table = schema.shared_contention
        return self._rows(select(table).where(table.c.at > since).order_by(table.c.at))

    def events_since(
        self, types: Sequence[str], since: datetime, repo: str | None = None
    ) -> list[Row]:
        """Events of the given types at or after `since` (of one stored repo key), oldest first."""
        table = schema.events
        conditions = [table.c.event_type.in_(list(types)), table.c.at >= since]
        if repo is not None:
            conditions.append(table.c.repo == repo)
        return self._rows(select(table).where(*conditions).order_by(table.c.id))


_NOTICE = ("b_claim_id", "b_kind", "b_other_engineer")
"""Parameters naming one inbox notice, in `_notice_bump`."""


def _fence_update() -> UpdateBase:
    table = schema.fences
    return (
        update(table)
        .where(table.c.repo == bindparam("b_repo"))
        .values(last_fence=bindparam("last_fence"))
    )


def _release_update() -> UpdateBase:
    table = schema.claims
    # One id per execution (executemany) rather than `IN (...)`: one statement for any count.
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.released_at.is_(None))
        .values(released_at=bindparam("released_at"), release_reason=bindparam("release_reason"))
    )


def _session_update() -> UpdateBase:
    table = schema.sessions
    return (
        update(table)
        .where(table.c.session_id == bindparam("b_session_id"))
        .values(last_activity=bindparam("last_activity"))
    )


def _notice_bump(names: Sequence[str]) -> UpdateBase:
    table = schema.inbox_notices
    return (
        update(table)
        .where(
            table.c.claim_id == bindparam("b_claim_id"),
            table.c.kind == bindparam("b_kind"),
            table.c.other_engineer == bindparam("b_other_engineer"),
        )
        .values({"count": table.c.count + literal_column("1"), **{n: bindparam(n) for n in names}})
    )


WAITING_DELIVERY = ("pending", "failed")
"""Outbox states that still expect an attempt."""

RETAINED = (
    "events",
    "blocked_attempts",
    "webhook_outbox",
    "queue_entries",
    "request_events",
    "inbox_notices",
    "shared_contention",
)
"""Tables whose old rows the retention task purges."""


def _retained(kind: str, before: datetime) -> tuple[Table, Any, ColumnElement[bool]]:
    """The table, its key column and the condition selecting its purgeable rows."""
    if kind == "events":
        events = schema.events
        newest = select(func.max(events.c.id)).scalar_subquery()
        # The newest event always stays: SQLite would otherwise hand out its id again, and a
        # live-stream client resuming from it would skip the events that reuse the ids.
        return events, events.c.id, and_(events.c.at < before, events.c.id < newest)
    if kind == "blocked_attempts":
        blocked = schema.blocked_attempts
        return blocked, blocked.c.id, blocked.c.at < before
    if kind == "webhook_outbox":
        outbox = schema.webhook_outbox
        finished = outbox.c.state.in_(("delivered", "exhausted"))
        return outbox, outbox.c.id, and_(finished, outbox.c.created_at < before)
    if kind == "queue_entries":
        queue = schema.queue_entries
        ended = and_(queue.c.state != "waiting", queue.c.finished_at < before)
        return queue, queue.c.queue_id, ended
    if kind in {"request_events", "inbox_notices", "shared_contention"}:
        timeline: Table = getattr(schema, kind)
        return timeline, timeline.c.id, timeline.c.at < before
    raise ValueError(f"no retention rule for table {kind!r}; known: {', '.join(RETAINED)}")
