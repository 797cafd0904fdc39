"""Storage: migrations, refusing newer or foreign databases, the instance lock, and the hot
writes that go straight to sqlite3 (stored and read back exactly as SQLAlchemy would)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

from coord_server.storage import (
    InstanceLock,
    InstanceLockError,
    SchemaError,
    Store,
    Transaction,
    make_engine,
    migrate,
    sqlite_url,
)
from coord_server.storage._prepared import PreparedStatements


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


# -- the hot writes: straight to sqlite3, exactly as SQLAlchemy would write them ----------------

TABLES = ("claims", "fences", "sessions", "events", "blocked_attempts", "inbox_notices")
T0 = datetime(2026, 11, 24, 12, 0, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 24, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
T2 = T0 + timedelta(minutes=3, microseconds=7)


def _claim_row(claim_id: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": claim_id, "repo": "acme/web", "engineer": "alex/claude/main", "branch": "main",
        "description": None, "claim_type": "file", "pattern": "src/a.ts", "symbols": None,
        "narrowable": True, "shared": False, "severity": "soft", "coexists_with": [],
        "session_id": "s-1", "fence": 1, "created_at": T0, "expires_at": T1,
        "last_activity": T0, "released_at": None, "release_reason": None,
    }  # fmt: skip
    return {**row, **changes}


def _event_row(event_type: str, at: datetime, **detail: Any) -> dict[str, Any]:
    return {"event_type": event_type, "at": at, "repo": "", "engineer": None, "detail": detail}


def _notice_row(**extra: Any) -> dict[str, Any]:
    return {"repo": "acme/web", "claim_id": "clm_a", "kind": "auto_conflict",
            "other_engineer": "sam", "pattern": "src/a.ts", "count": 1, "first_at": T0,
            "at": T0, **extra}  # fmt: skip


def _write_everything(transaction: Callable[[], AbstractContextManager[Transaction]]) -> list[bool]:
    """Every hot write, with awkward values (nulls, JSON null, lists, zones, microseconds)."""
    bumped = []
    with transaction() as tx:
        tx.insert_claims([
            _claim_row("clm_a"),
            _claim_row("clm_b", symbols=["Router.login", "é"], coexists_with=["clm_a"],
                       narrowable=False, shared=True, severity="hard", session_id=None,
                       last_activity=None, description="auth — rewrite", fence=2),
        ])  # fmt: skip
        tx.set_fence("acme/web", 2, existed=False)
        tx.touch_session("s-1", "operator", T0)
        tx.insert_events(
            [
                _event_row("claim_granted", T1, claim_id="clm_a", symbols=None),
                _event_row("claim_granted", T0, nested={"a": [1, None, "ü"]}),
            ]
        )
        tx.insert_blocked_attempts(
            [
                {
                    "repo": "acme/web",
                    "pattern": "src/a.ts",
                    "engineer": "sam",
                    "holder_claim_id": "clm_a",
                    "at": T2,
                }
            ]
        )
        tx.insert_inbox_notices([_notice_row()])
        tx.insert_inbox_notices([_notice_row(kind="auto_narrow", other_claim_id="clm_b",
                                             symbols=["Router.login"])])  # fmt: skip
    with transaction() as tx:
        tx.set_fence("acme/web", 3, existed=True)
        tx.touch_session("s-1", "operator", T2)
        tx.release_claims(["clm_a", "clm_a", "clm_missing"], T2, "released")
        bumped.append(tx.bump_inbox_notice("clm_a", "auto_conflict", "sam", at=T2, pattern="x"))
        bumped.append(tx.bump_inbox_notice("clm_b", "auto_conflict", "sam", at=T2, pattern="x"))
        tx.insert_events([_event_row("claim_released", T2, claim_id="clm_a", reason="released")])
    return bumped


def _stored_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"select * from {table} order by rowid").fetchall()
            for table in TABLES
        }


def _read_back(store: Store) -> dict[str, Any]:
    return {
        "active": store.active_claims(),
        "released": store.claim("clm_a"),
        "fences": store.fences(),
        "sessions": store.sessions(),
        "events": store.events_after(0, 100),
        "blocked": store.blocked_attempts_since(T0),
        "notices": store.inbox_notices(["clm_a", "clm_b"], None),
    }


def _new_store(path: Path) -> Store:
    engine = make_engine(sqlite_url(path))
    migrate(engine)
    return Store(engine)


def _statements_run(engine: Engine) -> list[str]:
    """The statements SQLAlchemy itself sends from now on (the direct path sends none)."""
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_direct_writes_store_and_read_back_exactly_as_sqlalchemy_writes(tmp_path: Path) -> None:
    direct, reference = _new_store(tmp_path / "direct.db"), _new_store(tmp_path / "sa.db")
    through_sqlalchemy = PreparedStatements(reference.engine.dialect, direct=False)

    @contextmanager
    def sqlalchemy_transaction() -> Iterator[Transaction]:
        with reference.engine.begin() as connection:
            yield Transaction(connection, reference.hooks, through_sqlalchemy)

    sent_directly = _statements_run(direct.engine)
    sent_by_sqlalchemy = _statements_run(reference.engine)
    assert _write_everything(direct.transaction) == [True, False]
    assert _write_everything(sqlalchemy_transaction) == [True, False]
    assert sent_directly == [] and len(sent_by_sqlalchemy) >= 12

    assert _stored_rows(tmp_path / "direct.db") == _stored_rows(tmp_path / "sa.db")
    seen = _read_back(direct)
    assert seen == _read_back(reference)
    claim_b, claim_a = seen["active"][0], seen["released"]
    assert [row["id"] for row in seen["active"]] == ["clm_b"]
    assert claim_a["symbols"] is None and claim_a["coexists_with"] == []
    assert claim_a["released_at"] == T2 and claim_a["release_reason"] == "released"
    assert claim_a["expires_at"] == T1 and claim_a["expires_at"].tzinfo == UTC
    assert claim_b["symbols"] == ["Router.login", "é"] and claim_b["shared"] is True
    assert claim_b["last_activity"] is None and claim_b["description"] == "auth — rewrite"
    assert seen["fences"] == {"acme/web": 3} and seen["sessions"] == {"s-1": T2}
    assert [e["detail"] for e in seen["events"]] == [
        {"claim_id": "clm_a", "symbols": None},
        {"nested": {"a": [1, None, "ü"]}},
        {"claim_id": "clm_a", "reason": "released"},
    ]
    counted = {n["kind"]: (n["count"], n["pattern"], n["symbols"]) for n in seen["notices"]}
    narrowed = (1, "src/a.ts", ["Router.login"])
    assert counted == {"auto_conflict": (2, "x", None), "auto_narrow": narrowed}
    for store in (direct, reference):
        store.close()
        store.engine.dispose()


def _insert_twice(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_claims([_claim_row("clm_a")])
        tx.insert_events([_event_row("claim_granted", T0)])
        tx.insert_claims([_claim_row("clm_a")])  # the same id again


def _fail_after_a_write(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_claims([_claim_row("clm_a")])
        raise RuntimeError("a caller's own error after a write")


def test_a_failed_write_rolls_back_and_the_connection_serves_the_next(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "coord.db")
    with pytest.raises(IntegrityError, match=r"UNIQUE constraint failed: claims\.id"):
        _insert_twice(store)
    with pytest.raises(RuntimeError, match="own error"):
        _fail_after_a_write(store)
    assert store.claim("clm_a") is None and store.last_event_id() == 0
    with store.transaction() as tx:
        tx.insert_claims([_claim_row("clm_a")])
        tx.update_claim("clm_a", description="through SQLAlchemy, in the same transaction")
    stored = store.claim("clm_a")
    assert stored is not None and stored["description"].startswith("through SQLAlchemy")
    store.close()
    with store.transaction() as tx:  # a closed store opens its write connection again
        tx.release_claims(["clm_a"], T2, "released")
    assert store.active_claims() == []
    store.close()
    store.engine.dispose()


def test_events_are_announced_with_their_ids_after_the_commit(tmp_path: Path) -> None:
    store = _new_store(tmp_path / "coord.db")
    announced: list[list[int]] = []
    store.hooks.after_commit.append(lambda rows: announced.append([row["id"] for row in rows]))
    for _ in range(2):
        with store.transaction() as tx:
            tx.insert_events([_event_row("claim_granted", T0), _event_row("claim_granted", T1)])
    assert announced == [[1, 2], [3, 4]]
    store.close()
    store.engine.dispose()
