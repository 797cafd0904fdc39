"""PostgreSQL: any number of replicas on one database, the database as the arbiter (SPEC §14).

- A transaction that decides for a repo takes that repo's transaction-scoped advisory lock
  (`pg_advisory_xact_lock`) before it reads anything: no other transaction, on any replica,
  decides for the repo until it commits or rolls back. Locks are taken in sorted order, so two
  transactions that need several repos cannot deadlock.
- Replicas tell each other what changed with `pg_notify`, sent on the same connection right after
  the change commits (never for one that rolled back). Not inside it: PostgreSQL serialises the
  commits of every notifying transaction in the cluster, WAL flush included, which cut the commit
  rate of a loaded server to a third; a notification alone writes no WAL. A replica dying in the
  instant between the two loses that one signal; the receivers re-check on the next one.
- The background work is led by the replica holding a session-level advisory lock on a
  dedicated connection; when that replica dies its connection ends and another takes over.

Only this module (and `_engine`) imports the asyncio extension of SQLAlchemy and psycopg, which
come with the server's `postgres` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import Executable, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from coord_server.storage._database import Backend, SignalHandler, lock_key
from coord_server.storage._engine import driver_url
from coord_server.storage._executor import AsyncExecutor
from coord_server.storage._prepared import PreparedStatements
from coord_server.storage._transaction import Row, Transaction

logger = logging.getLogger("coord.storage")

CHANNEL = "coord"
"""The LISTEN/NOTIFY channel replicas talk on."""

LEADER_LOCK = lock_key("leader")
"""The session-level advisory lock whose holder runs the background work."""

LEASE_CHECK_SEC = 1.0
"""How often a follower tries to take the lease and the leader checks it still holds it: the
longest a dead leader's work waits (plus the time the database takes to notice its end)."""

RECONNECT_SEC = 1.0
"""Pause before a dedicated connection (listener, lease) is opened again after it broke."""

CONNECT_TIMEOUT_SEC = 5
"""Longest a dedicated connection may take to open."""

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
# A bigint advisory key shows in pg_locks as its high half (classid) and low half (objid).
_HELD_LOCKS = text(
    "SELECT (classid::bigint << 32) | objid::bigint AS key FROM pg_locks "
    "WHERE locktype = 'advisory' AND objsubid = 1 AND granted"
)
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def replica_lock(replica: str) -> int:
    """The session-level advisory lock a running replica holds."""
    return lock_key(f"replica:{replica}")


def psycopg_dsn(url: str) -> str:
    """The libpq connection string of a SQLAlchemy URL (for the dedicated psycopg connections)."""
    parsed = make_url(driver_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


@asynccontextmanager
async def dedicated(dsn: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A connection of its own, closed on the way out even when cancelled while connecting
    (the lease and the listener are cancelled at shutdown, wherever they are)."""
    connecting = asyncio.ensure_future(
        psycopg.AsyncConnection.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SEC)
    )
    try:
        conn = await asyncio.shield(connecting)
    except asyncio.CancelledError:
        # Cancelled while connecting: let the attempt end (it is bounded), then close it.
        with contextlib.suppress(Exception):
            (await connecting).pgconn.finish()
        raise
    try:
        yield conn
    finally:
        conn.pgconn.finish()  # at once: a cancelled task cannot wait for a polite close


class PostgresDatabase:
    """A pool of asyncio connections for requests; dedicated ones for signals and the lease."""

    backend: Backend = "postgresql"

    def __init__(self, url: str, pool_size: int) -> None:
        self.engine: AsyncEngine = create_async_engine(
            driver_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"options": "-c timezone=UTC"},
        )
        self.dialect = self.engine.dialect
        self._dsn = psycopg_dsn(url)
        self._statements = PreparedStatements(self.dialect)
        self._listening = asyncio.Event()

    async def read(self, statement: Executable) -> list[Row]:
        """Rows of a query, on a pooled connection."""
        async with self.engine.connect() as connection:
            result = await connection.execute(statement)
            return [dict(row) for row in result.mappings()]

    async def scalar(self, statement: Executable) -> Any:
        """The first column of the first row of a query."""
        async with self.engine.connect() as connection:
            return (await connection.execute(statement)).scalar()

    @asynccontextmanager
    async def transaction(self, locks: Sequence[str] = ()) -> AsyncIterator[Transaction]:
        """A transaction holding the advisory lock of each name in `locks`; committed on exit."""
        async with self.engine.connect() as connection:
            async with connection.begin():
                for name in sorted(set(locks)):
                    await connection.execute(_LOCK, {"key": lock_key(f"repo:{name}")})
                tx = Transaction(AsyncExecutor(connection), self._statements)
                yield tx
            if tx.outgoing:
                await _tell_others(connection, tx.outgoing)

    async def ping(self) -> None:
        """Raise when the database does not answer."""
        await self.scalar(text("SELECT 1"))

    def lease(self) -> AdvisoryLease:
        """The leader lease, held through a dedicated connection."""
        return AdvisoryLease(self._dsn)

    async def listen(self, replica: str, handler: SignalHandler) -> None:
        """Deliver every payload on the channel to `handler`, reconnecting after failures.

        The listening connection also holds the replica's own session-level advisory lock:
        while it is held the replica is alive, and its waiters can still be answered.
        """
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    await conn.execute("SELECT pg_advisory_lock(%s)", (replica_lock(replica),))
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    handler("")  # (re)connected: whatever was missed meanwhile must be re-read
                    async for notice in conn.notifies():
                        handler(notice.payload)
            except psycopg.Error:
                logger.warning("replica signals lost; listening again", exc_info=True)
            finally:
                self._listening.clear()
            await asyncio.sleep(RECONNECT_SEC)

    async def listening(self) -> None:
        """Return once the listener holds this replica's lock and listens."""
        await self._listening.wait()

    async def live_replicas(self, candidates: Sequence[str]) -> set[str]:
        """Which of `candidates` hold their replica lock (their listener connection is up)."""
        wanted = {replica_lock(replica): replica for replica in candidates}
        if not wanted:
            return set()
        rows = await self.read(_HELD_LOCKS)
        return {wanted[row["key"]] for row in rows if row["key"] in wanted}

    async def close(self) -> None:
        """Close the pool."""
        await self.engine.dispose()


class AdvisoryLease:
    """Leadership through a session-level advisory lock on a connection of its own."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._leading = asyncio.Event()

    @property
    def leading(self) -> bool:
        """True while the lock is held on a live connection."""
        return self._leading.is_set()

    async def wait_leading(self) -> None:
        """Return once this replica leads."""
        await self._leading.wait()

    async def run(self) -> None:
        """Try for the lock, hold it while the connection lives, try again when it dies."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    await self._hold(conn)
            except psycopg.Error:
                logger.warning("leader lease connection failed; trying again", exc_info=True)
            finally:
                if self._leading.is_set():
                    logger.warning("this replica no longer leads the background work")
                self._leading.clear()
            await asyncio.sleep(RECONNECT_SEC)

    async def _hold(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            if not self._leading.is_set():
                cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,))
                row = await cursor.fetchone()
                if row is not None and row[0]:
                    logger.info("this replica now leads the background work")
                    self._leading.set()
            else:
                await conn.execute("SELECT 1")  # a dead connection raises: the lease is gone
            await asyncio.sleep(LEASE_CHECK_SEC)


async def _tell_others(connection: AsyncConnection, payloads: Sequence[str]) -> None:
    """Notify the other replicas of a change that has committed. A failure here must not make
    the change look failed (its caller would retry something already done): the receivers
    catch up at the next signal or resync, as after a replica that died right after a commit."""
    try:
        async with connection.begin():
            for payload in payloads:
                await connection.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload})
    except Exception:  # a boundary: the change itself is committed
        logger.warning("could not notify the other replicas of a committed change", exc_info=True)
