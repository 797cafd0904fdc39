"""One transaction: statements run through the backend's executor, committed together or not."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, Executable, Table, insert
from sqlalchemy.sql.expression import UpdateBase

from coord_server.storage._executor import Executor
from coord_server.storage._prepared import Params, Prepared, PreparedStatements

Row = Mapping[str, Any]


class Transaction:
    """Writes (and reads) on one connection inside one database transaction.

    The table families (`storage.claims`, `storage.queue`, ...) write through it. The writes
    every claim, release and refusal makes run as prepared statements (see `_prepared`); the
    rarer ones are built by SQLAlchemy on each call.
    """

    __slots__ = ("_executor", "_statements", "events", "outgoing", "versions")

    def __init__(self, executor: Executor, statements: PreparedStatements) -> None:
        self._executor = executor
        self._statements = statements
        self.events: list[Row] = []
        """Event rows inserted so far, with their ids."""
        self.versions: dict[str, int] = {}
        """Repo key -> the version this transaction gives that repo (set by whoever holds it)."""
        self.outgoing: list[str] = []
        """Payloads for the other replicas, sent when (and only if) the transaction commits."""

    def sibling(self) -> Transaction:
        """Another writer in this same database transaction, with its own events and versions
        (units that share one commit); what it tells the other replicas goes out with ours."""
        other = Transaction(self._executor, self._statements)
        other.outgoing = self.outgoing
        return other

    def version_of(self, repo_key: str) -> int:
        """The version rows of `repo_key` changed here are stamped with (0 when not held)."""
        return self.versions.get(repo_key, 0)

    def stamped(self, row: Row) -> Row:
        """`row` with the `row_version` of its repo: what makes it part of the repo's next delta."""
        return {**row, "row_version": self.version_of(row["repo"])}

    def prepared(
        self, key: Hashable, build: Callable[[], UpdateBase], names: Sequence[str]
    ) -> Prepared:
        """The prepared statement for `key`, built by `build()` once per process."""
        return self._statements.get(key, build, names)

    async def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> CursorResult[Any]:
        """Run a statement built by SQLAlchemy."""
        return await self._executor.execute(statement, params)

    async def rows(self, statement: Executable) -> list[Row]:
        """Rows of a query run inside this transaction (it sees the transaction's own writes)."""
        result = await self._executor.execute(statement, None)
        return [dict(row) for row in result.mappings()]

    def inserting(self, table: Table, rows: Sequence[Params]) -> Prepared:
        """The prepared insert of rows shaped like `rows[0]` (every row of a call has its keys)."""
        names = tuple(rows[0])
        return self.prepared(("insert", table.name, *names), lambda: insert(table), names)

    async def insert(self, table: Table, rows: Sequence[Params]) -> None:
        """Insert rows into `table` with a prepared statement."""
        if rows:
            await self.run_many(self.inserting(table, rows), rows)

    async def run(self, prepared: Prepared, params: Params) -> int:
        """Run a prepared statement once; the number of rows changed."""
        return await self._executor.run(prepared, params)

    async def run_many(self, prepared: Prepared, rows: Sequence[Params]) -> None:
        """Run a prepared statement once per row."""
        if rows:
            await self._executor.run_many(prepared, rows)

    async def insert_ids(self, prepared: Prepared, rows: Sequence[Params]) -> list[int]:
        """Insert rows; their integer keys, in order."""
        return await self._executor.insert_ids(prepared, rows) if rows else []

    def tell_replicas(self, payload: str) -> None:
        """Send `payload` to the other replicas once this transaction commits."""
        self.outgoing.append(payload)
