"""Storage start-up: migrations, refusing newer or foreign databases, the instance lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from coord_server.storage import (
    InstanceLock,
    InstanceLockError,
    SchemaError,
    make_engine,
    migrate,
    sqlite_url,
)


def test_migrate_creates_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "coord.db"
    engine = make_engine(sqlite_url(path))
    head = migrate(engine)
    engine.dispose()
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
        version = db.execute("select version_num from alembic_version").fetchone()[0]
        mode = db.execute("pragma journal_mode").fetchone()[0]
    assert {"claims", "fences", "sessions", "queue_entries", "events"} <= tables
    assert version == head and mode == "wal"


def test_migrate_twice_is_a_no_op(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "coord.db"))
    assert migrate(engine) == migrate(engine)
    engine.dispose()


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    engine = make_engine(sqlite_url(path))
    migrate(engine)
    with sqlite3.connect(path) as db:
        db.execute("update alembic_version set version_num = '9999_future'")
    with pytest.raises(SchemaError, match="newer than this coord-server"):
        migrate(engine)
    engine.dispose()


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    with sqlite3.connect(path) as db:
        db.execute("create table claims (id text)")
    engine = make_engine(sqlite_url(path))
    with pytest.raises(SchemaError, match="not created by coord-server"):
        migrate(engine)
    engine.dispose()


def test_instance_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    first, second = InstanceLock(path), InstanceLock(path)
    first.acquire()
    with pytest.raises(InstanceLockError, match="COORD_DISABLE_INSTANCE_LOCK"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
