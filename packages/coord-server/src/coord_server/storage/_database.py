"""The database under the service: what both backends offer, and opening the configured one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

from sqlalchemy import Dialect, Executable

from coord_server.storage._transaction import Row, Transaction

Backend = Literal["sqlite", "postgresql"]
SignalHandler = Callable[[str], None]
"""Told of each payload another replica sent (`Transaction.tell_replicas`)."""


class Lease(Protocol):
    """Leadership of the background work (expiry, delivery, retention): one holder at a time."""

    @property
    def leading(self) -> bool:
        """True while this process holds the lease."""
        ...

    async def wait_leading(self) -> None:
        """Return once this process holds the lease (at once when it does)."""
        ...

    async def run(self) -> None:
        """Keep trying to take the lease, and keep it alive, until cancelled."""
        ...


class Database(Protocol):
    """Reads, transactions holding repo locks, replica signals and the leader lease."""

    backend: Backend
    dialect: Dialect

    async def read(self, statement: Executable) -> list[Row]:
        """Rows of a query, as dicts, on a connection of its own."""
        ...

    async def scalar(self, statement: Executable) -> Any:
        """The first column of the first row of a query (None when there is none)."""
        ...

    def transaction(self, locks: Sequence[str] = ()) -> AbstractAsyncContextManager[Transaction]:
        """A transaction holding the locks named (repo keys): no other transaction, on any
        replica, holds one of them until this one ends. Committed on a clean exit."""
        ...

    async def ping(self) -> None:
        """Raise when the database does not answer."""
        ...

    def lease(self) -> Lease:
        """The leader lease of this database."""
        ...

    async def listen(self, replica: str, handler: SignalHandler) -> None:
        """Deliver the other replicas' payloads to `handler` until cancelled, and keep
        `replica` marked alive meanwhile (see `live_replicas`)."""
        ...

    async def listening(self) -> None:
        """Return once `listen` runs and marks this replica alive (its waiters may park)."""
        ...

    async def live_replicas(self, candidates: Sequence[str]) -> set[str]:
        """Which of `candidates` (replica ids) are running now."""
        ...

    async def close(self) -> None:
        """Close every connection."""
        ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name` (the same on every replica)."""
    digest = hashlib.sha256(f"coord:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def open_database(url: str, pool_size: int) -> Database:
    """The database at a SQLAlchemy URL: SQLite in process, or PostgreSQL over psycopg."""
    if url.startswith("sqlite"):
        from coord_server.storage._sqlite import SqliteDatabase  # noqa: PLC0415

        return SqliteDatabase(url)
    from coord_server.storage._postgres import PostgresDatabase  # noqa: PLC0415 - the extra

    return PostgresDatabase(url, pool_size)
