"""Write statements built once, and sent straight to sqlite3 when the database is SQLite.

SQLAlchemy Core spends several times longer on a statement than SQLite does: building it, keying
it, looking up its compiled form, setting up an execution context. The writes every claim and
release makes are therefore built and compiled once. On SQLite (the pysqlite driver) they run
directly on the DBAPI connection underneath the SQLAlchemy one, inside the same transaction, with
their parameters converted by the bind processors of the very column types SQLAlchemy would use:
the stored values are exactly what the SQLAlchemy path writes, and read back the same. Any other
database runs the same prebuilt statements through SQLAlchemy (see `_executor`).

The tests hold the two paths against each other (`PreparedStatements(dialect, direct=False)`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Insert, exc
from sqlalchemy.sql.expression import UpdateBase

Params = Mapping[str, Any]
Processor = Callable[[Any], Any]
"""A column type's conversion of a Python value into what the driver is given."""


def runs_direct(dialect: Dialect) -> bool:
    """True when statements for `dialect` can go straight to its DBAPI connection (sqlite3)."""
    return dialect.name == "sqlite" and dialect.driver == "pysqlite"


class Prepared:
    """One statement with named parameters, compiled once for its dialect."""

    __slots__ = ("_plan", "direct", "returning", "sql", "statement")

    def __init__(
        self, statement: UpdateBase, dialect: Dialect, names: Collection[str], direct: bool
    ) -> None:
        """Compile `statement` for `dialect`.

        `names` are the parameters every caller supplies (an insert's are its columns); `direct`
        asks for the sqlite3 path, which `runs_direct(dialect)` must allow.
        """
        self.statement = statement
        self.returning: UpdateBase | None = None
        """The insert with its key returned, built the first time ids are asked for."""
        keys = list(names) if isinstance(statement, Insert) else None
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        self.sql = compiled.string
        order = compiled.positiontup or []
        # A parameter nobody supplies (a column default, say) needs SQLAlchemy's own machinery.
        self.direct = bool(direct and compiled.positional and set(order) <= set(names))
        self._plan: tuple[tuple[str, Processor | None, Any], ...] = tuple(
            _step(name, compiled.binds[name].type.dialect_impl(dialect), dialect) for name in order
        )

    def values(self, params: Params) -> list[Any]:
        """The positional values the compiled SQL takes, converted as SQLAlchemy would."""
        # A row is mostly empty columns: None takes its stored form without a processor call.
        return [
            value if process is None else stored_none if value is None else process(value)
            for name, process, stored_none in self._plan
            for value in (params[name],)
        ]

    def with_returned_key(self) -> UpdateBase:
        """The insert returning its integer key, in parameter order (for ids of new rows)."""
        if self.returning is None:
            insert = cast(Insert, self.statement)
            key = insert.table.primary_key.columns.values()[0]  # type: ignore[attr-defined]
            self.returning = insert.returning(key, sort_by_parameter_order=True)
        return self.returning


def _step(name: str, column_type: Any, dialect: Dialect) -> tuple[str, Processor | None, Any]:
    """A parameter's name, its type's bind processor, and what that processor makes of None
    (None for most types; JSON stores it as the text `null`)."""
    process: Processor | None = column_type.bind_processor(dialect)
    return (name, process, None if process is None else process(None))


def dbapi_of(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under `connection`: statements on it join its transaction."""
    return cast(sqlite3.Connection, connection.connection.dbapi_connection)


def wrapped_error(sql: str, values: Any, error: sqlite3.Error) -> exc.StatementError:
    """The exception SQLAlchemy raises for this error on its own path (IntegrityError, ...)."""
    return exc.DBAPIError.instance(sql, values, error, sqlite3.Error)


class PreparedStatements:
    """Prepared statements of one dialect, built on first use and kept by a key of the caller's."""

    __slots__ = ("_dialect", "_direct", "_prepared")

    def __init__(self, dialect: Dialect, direct: bool | None = None) -> None:
        """`direct=None` runs on sqlite3 directly where the dialect allows; False never does."""
        self._dialect = dialect
        self._direct = runs_direct(dialect) if direct is None else direct and runs_direct(dialect)
        self._prepared: dict[Hashable, Prepared] = {}

    def get(
        self, key: Hashable, build: Callable[[], UpdateBase], names: Collection[str]
    ) -> Prepared:
        """The statement stored under `key`, built by `build()` the first time."""
        found = self._prepared.get(key)
        if found is None:
            found = Prepared(build(), self._dialect, names, self._direct)
            self._prepared[key] = found
        return found
