"""The one connection every write of a process runs on, kept open between transactions.

Checking a connection out of the pool and back for each transaction costs more than most of
coord's transactions do. Writes all come from the event loop's thread, one at a time, so one
connection serves them all (`Store.transaction` falls back to a pooled one for anything else).
"""

from __future__ import annotations

import sqlite3
from typing import cast

from sqlalchemy import Connection, Engine

from coord_server.storage._prepared import dbapi_of, runs_direct, wrapped_error


class WriteConnection:
    """A connection kept open for writes, with the transaction handling that suits its database.

    On SQLite (pysqlite) a transaction is left to sqlite3, which begins one before the first
    write; it is committed there too, unless a statement went through SQLAlchemy, which then
    holds the transaction and commits it. Elsewhere SQLAlchemy begins and ends each one.
    """

    __slots__ = ("_connection", "_direct", "_engine")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._direct = runs_direct(engine.dialect)
        self._connection: Connection | None = None

    def begin(self) -> Connection:
        """Start a transaction; the connection to run its statements on."""
        connection = self._connection
        if connection is None or connection.closed:
            connection = self._connection = self._engine.connect()
        if not self._direct:
            connection.begin()
        return connection

    def commit(self) -> None:
        """Commit the transaction begun last."""
        connection = cast(Connection, self._connection)
        if connection.in_transaction():
            connection.commit()
            return
        try:
            dbapi_of(connection).commit()
        except sqlite3.Error as error:
            raise wrapped_error("COMMIT", (), error) from error

    def rollback(self) -> None:
        """Undo the transaction begun last; a connection that broke is dropped for a new one."""
        connection = cast(Connection, self._connection)
        try:
            if connection.in_transaction():
                connection.rollback()
            if self._direct and not connection.invalidated:
                dbapi_of(connection).rollback()
        finally:
            if connection.invalidated:
                self.close()

    def close(self) -> None:
        """Give the connection back to the pool."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
