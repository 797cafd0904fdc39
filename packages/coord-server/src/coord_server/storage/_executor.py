"""Running statements inside a transaction: the one place where the two backends differ in how.

Both executors take the same statements and prepared statements and return the same results.
SQLite runs them synchronously on its single write connection (an `await` on it never gives
the event loop away, so a transaction is never interleaved with another request); PostgreSQL
awaits each one on an asyncio connection, so other requests proceed while it waits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Connection, CursorResult, Executable

from coord_server.storage._prepared import Params, Prepared, dbapi_of, wrapped_error

if TYPE_CHECKING:  # the asyncio extension is only installed (and loaded) for PostgreSQL
    from sqlalchemy.ext.asyncio import AsyncConnection


class Executor(Protocol):
    """What a transaction needs from its connection."""

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
    ) -> CursorResult[Any]:
        """Run any statement through SQLAlchemy."""
        ...

    async def run(self, prepared: Prepared, params: Params) -> int:
        """Run a prepared statement once; the number of rows changed."""
        ...

    async def run_many(self, prepared: Prepared, rows: Sequence[Params]) -> None:
        """Run a prepared statement once per parameter set, as one batch."""
        ...

    async def insert_ids(self, prepared: Prepared, rows: Sequence[Params]) -> list[int]:
        """Insert rows with a prepared insert; the integer keys they got, in order."""
        ...


class SqliteExecutor:
    """Statements on the write connection; prepared ones straight on sqlite3 where they can."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
    ) -> CursorResult[Any]:
        """Run any statement through SQLAlchemy."""
        return self._connection.execute(statement, params)

    async def run(self, prepared: Prepared, params: Params) -> int:
        """Run a prepared statement once; the number of rows changed."""
        if prepared.direct:
            return self._direct(prepared, prepared.values(params)).rowcount
        return self._connection.execute(prepared.statement, dict(params)).rowcount

    async def run_many(self, prepared: Prepared, rows: Sequence[Params]) -> None:
        """Run a prepared statement once per parameter set, as one batch."""
        if not prepared.direct:
            self._connection.execute(prepared.statement, [dict(row) for row in rows])
            return
        values = [prepared.values(row) for row in rows]
        try:
            dbapi_of(self._connection).executemany(prepared.sql, values)
        except sqlite3.Error as error:
            raise wrapped_error(prepared.sql, values, error) from error

    async def insert_ids(self, prepared: Prepared, rows: Sequence[Params]) -> list[int]:
        """Insert rows with a prepared insert; the integer keys they got, in order."""
        if prepared.direct:
            if len(rows) == 1:
                return [cast(int, self._direct(prepared, prepared.values(rows[0])).lastrowid)]
            return self._insert_many(prepared, rows)
        result = self._connection.execute(prepared.with_returned_key(), [dict(r) for r in rows])
        return list(result.scalars().all())

    def _insert_many(self, prepared: Prepared, rows: Sequence[Params]) -> list[int]:
        """Insert several rows in one `executemany`; their keys, in order.

        Keys are not given, so SQLite gives each new row the table's largest rowid plus one:
        the rows of one batch, on the only write connection, get consecutive keys ending at
        the connection's last inserted rowid.
        """
        values = [prepared.values(row) for row in rows]
        connection = dbapi_of(self._connection)
        try:
            connection.executemany(prepared.sql, values)
            (last,) = connection.execute("SELECT last_insert_rowid()").fetchone()
        except sqlite3.Error as error:
            raise wrapped_error(prepared.sql, values, error) from error
        return list(range(last - len(rows) + 1, last + 1))

    def _direct(self, prepared: Prepared, values: list[Any]) -> sqlite3.Cursor:
        try:
            return dbapi_of(self._connection).execute(prepared.sql, values)
        except sqlite3.Error as error:
            raise wrapped_error(prepared.sql, values, error) from error


class AsyncExecutor:
    """Statements awaited on an asyncio connection (PostgreSQL through psycopg)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
    ) -> CursorResult[Any]:
        """Run any statement through SQLAlchemy."""
        return await self._connection.execute(statement, params)

    async def run(self, prepared: Prepared, params: Params) -> int:
        """Run a prepared statement once; the number of rows changed."""
        return (await self._connection.execute(prepared.statement, dict(params))).rowcount

    async def run_many(self, prepared: Prepared, rows: Sequence[Params]) -> None:
        """Run a prepared statement once per parameter set, as one batch."""
        await self._connection.execute(prepared.statement, [dict(row) for row in rows])

    async def insert_ids(self, prepared: Prepared, rows: Sequence[Params]) -> list[int]:
        """Insert rows with a prepared insert; the integer keys they got, in order."""
        statement = prepared.with_returned_key()
        result = await self._connection.execute(statement, [dict(row) for row in rows])
        return list(result.scalars().all())
