"""Creating the SQLAlchemy engine and bringing the schema up to date (SPEC §14).

Alembic is imported only when the database is behind the code (or its state is unclear): the
stored revision is read first and compared with the head read from the migration scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic_core
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

from coord_server.storage._revisions import read_revisions

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = "coord_server.storage:migrations"
MIGRATION_LOCK = 0x636F6F72_646D6967
"""Advisory-lock key held while migrating a PostgreSQL database ("coordmig")."""


class SchemaError(Exception):
    """The database cannot be used by this version of the code."""


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{path}"


def driver_url(url: str) -> str:
    """`url` with the driver coord uses spelled out (`postgresql://` means psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """A synchronous engine for `url` (SQLite's, and migrations on any database).

    SQLite gets WAL, NORMAL sync and a busy timeout on every connection.
    """
    url = driver_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False}, json_serializer=_compact_json
    )
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _compact_json(value: Any) -> str:
    # A grant beside other symbol claims writes a JSON column per partner and per event; the
    # encoder in pydantic-core takes a fifth of `json.dumps`'s time and writes compact text,
    # which `json.loads` reads back as the same values.
    return pydantic_core.to_json(value).decode()


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work beside the single writer; NORMAL sync is durable across a process
    # crash (only a power loss can lose the last commits), which fits a coordination service.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - only a database that is behind needs it

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def migrate(engine: Engine) -> str:
    """Apply every pending migration; refuse a database written by newer code. Returns the head."""
    head = read_revisions().head
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas started together: the first migrates, the others wait, then find it done.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if head is not None and stored_revision(connection) == head:
            return head  # the usual start: nothing to do, and Alembic is never loaded
        return _upgrade(connection)


def stored_revision(connection: Connection) -> str | None:
    """The revision recorded in `alembic_version`; None when there is none (or several)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(stored[0]) if len(stored) == 1 else None


def _upgrade(connection: Connection) -> str:
    from alembic import command  # noqa: PLC0415 - the database is behind: Alembic migrates it
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    config = _alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head() or ""
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaError(
            f"the database is at schema revision {current!r}, newer than this coord-server "
            f"knows (newest {head!r}). Upgrade coord-server, or point it at another database."
        )
    if current is None and inspect(connection).has_table("claims"):
        raise SchemaError(
            "the database has coord tables but no migration record; it was not created by "
            "coord-server. Point COORD_DATABASE_PATH (or COORD_DATABASE_URL) at a new database."
        )
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return head
