"""`adherence_*`: what the push, CI, reconcile and shell checks saw (SPEC §16)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Integer, Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import ColumnElement, Insert

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row, Transaction

COMMIT_KEY = ("repo", "sha")
EDIT_KEY = ("repo", "engineer", "source", "path_hash")


class AdherenceRows:
    """Reported commits and undeclared edits, and the repos whose alert has fired."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_commits(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Store commits; one reported again keeps its first moment and takes the new figures."""
        if rows:
            replaced = ("engineer", "source", "files", "covered", "trailers", "last_at")
            await tx.execute(self._upsert(schema.adherence_commits, COMMIT_KEY, replaced), rows)

    async def record_edits(self, tx: Transaction, rows: Sequence[Row]) -> None:
        """Store undeclared edits; one seen again only moves its `last_at`."""
        if rows:
            await tx.execute(self._upsert(schema.adherence_edits, EDIT_KEY, ("last_at",)), rows)

    async def repo_coverage(self, tx: Transaction, repo: str, since: datetime) -> tuple[int, int]:
        """(files, covered files) of the repo's commits first reported since `since`."""
        table = schema.adherence_commits
        statement = select(
            func.coalesce(func.sum(table.c.files), 0).label("files"),
            func.coalesce(func.sum(table.c.covered), 0).label("covered"),
        ).where(table.c.repo == repo, table.c.first_at >= since)
        row = (await tx.rows(statement))[0]
        return int(row["files"]), int(row["covered"])

    async def alerted(self, tx: Transaction, repo: str) -> bool:
        """Whether the repo's `adherence_low` has fired and it has not recovered since."""
        table = schema.adherence_alerts
        return bool(await tx.rows(select(table.c.repo).where(table.c.repo == repo)))

    async def mark_alerted(self, tx: Transaction, repo: str, share: float, at: datetime) -> None:
        """Note that the repo's alert fired."""
        await tx.execute(
            schema.adherence_alerts.insert().values(repo=repo, covered_share=share, at=at)
        )

    async def clear_alert(self, tx: Transaction, repo: str) -> None:
        """The repo recovered: its next fall fires again."""
        table = schema.adherence_alerts
        await tx.execute(delete(table).where(table.c.repo == repo))

    async def commit_figures(self, since: datetime, repo: str | None) -> list[Row]:
        """Per repo and engineer: `files`, `covered`, `commits`, `with_trailers`."""
        table = schema.adherence_commits
        statement = (
            select(
                table.c.repo,
                table.c.engineer,
                func.sum(table.c.files).label("files"),
                func.sum(table.c.covered).label("covered"),
                func.count().label("commits"),
                func.sum(table.c.trailers.cast(Integer)).label("with_trailers"),
            )
            .where(*_window(table.c.first_at, since, table.c.repo, repo))
            .group_by(table.c.repo, table.c.engineer)
        )
        return await self.db.read(statement)

    async def edit_figures(self, since: datetime, repo: str | None) -> list[Row]:
        """Per repo, engineer and source: `edits`, the distinct paths seen since `since`."""
        table = schema.adherence_edits
        statement = (
            select(
                table.c.repo, table.c.engineer, table.c.source, func.count().label("edits")
            )
            .where(*_window(table.c.last_at, since, table.c.repo, repo))
            .group_by(table.c.repo, table.c.engineer, table.c.source)
        )  # fmt: skip
        return await self.db.read(statement)

    def _upsert(self, table: Table, key: Sequence[str], replaced: Sequence[str]) -> Insert:
        dialect_insert = postgresql_insert if self.db.backend == "postgresql" else sqlite_insert
        statement = dialect_insert(table)
        return statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: statement.excluded[name] for name in replaced},
        )


def _window(
    moment: ColumnElement[datetime],
    since: datetime,
    repo_column: ColumnElement[str],
    repo: str | None,
) -> list[ColumnElement[bool]]:
    conditions = [moment >= since]
    if repo is not None:
        conditions.append(repo_column == repo)
    return conditions
