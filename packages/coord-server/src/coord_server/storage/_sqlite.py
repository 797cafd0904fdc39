"""SQLite: one process per database file, so the process itself is the arbiter (SPEC §14).

The instance lock keeps every other process off the file, so nothing but this process writes:
a transaction needs no repo lock, the replica signals have nobody to reach, and this process
always leads the background work. Every write runs on one long-lived connection, one transaction
at a time, synchronously on the event loop's thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, text

from coord_server.storage._database import Backend, Lease, SignalHandler
from coord_server.storage._engine import make_engine
from coord_server.storage._executor import SqliteExecutor
from coord_server.storage._prepared import PreparedStatements
from coord_server.storage._transaction import Row, Transaction
from coord_server.storage._writer import WriteConnection


class SoleProcess:
    """The lease on SQLite: the instance lock already makes this the only process."""

    @property
    def leading(self) -> bool:
        """Always."""
        return True

    async def wait_leading(self) -> None:
        """Returns at once."""

    async def run(self) -> None:
        """Nothing to keep alive: wait until cancelled."""
        await asyncio.Event().wait()


class SqliteDatabase:
    """The SQLite file, its write connection and its prepared statements."""

    backend: Backend = "sqlite"

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect
        self._writer = WriteConnection(self.engine)
        self._statements = PreparedStatements(self.dialect)
        # Uncontended, acquiring it never yields; it only matters if a transaction's body ever
        # awaited something real, which would otherwise let a second one onto the connection.
        self._writing = asyncio.Lock()
        self._replica = ""
        self._listening = asyncio.Event()

    async def read(self, statement: Executable) -> list[Row]:
        """Rows of a query on a pooled connection (WAL: it sees every committed write)."""
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(statement).mappings()]

    async def scalar(self, statement: Executable) -> Any:
        """The first column of the first row of a query."""
        with self.engine.connect() as connection:
            return connection.execute(statement).scalar()

    @asynccontextmanager
    async def transaction(self, locks: Sequence[str] = ()) -> AsyncIterator[Transaction]:
        """A transaction on the write connection; `locks` need nothing here (one process)."""
        del locks
        async with self._writing:
            tx = Transaction(SqliteExecutor(self._writer.begin()), self._statements)
            try:
                yield tx
                self._writer.commit()
            except BaseException:
                self._writer.rollback()  # after which the connection serves the next one
                raise

    async def ping(self) -> None:
        """Raise when the file cannot be read."""
        await self.scalar(text("SELECT 1"))

    def lease(self) -> Lease:
        """This process always leads."""
        return SoleProcess()

    async def listen(self, replica: str, handler: SignalHandler) -> None:
        """No other replica exists: remember which one this is, and wait until cancelled."""
        del handler
        self._replica = replica
        self._listening.set()
        await asyncio.Event().wait()

    async def listening(self) -> None:
        """Return once `listen` has recorded which replica this is."""
        await self._listening.wait()

    async def live_replicas(self, candidates: Sequence[str]) -> set[str]:
        """Only this process can be running on the file."""
        return {replica for replica in candidates if replica == self._replica}

    async def close(self) -> None:
        """Give the write connection back and close the pool."""
        async with self._writing:
            self._writer.close()
        self.engine.dispose()
