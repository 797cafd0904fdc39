"""Storage: migrations, refusing newer or foreign databases, the instance lock, and the hot
writes that go straight to sqlite3 (stored and read back exactly as SQLAlchemy would)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from coord_pg import PostgresDatabases
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError

from coord_server.storage import (
    InstanceLock,
    InstanceLockError,
    RepoState,
    SchemaError,
    Store,
    Transaction,
    make_engine,
    migrate,
    open_database,
    sqlite_url,
)
from coord_server.storage._executor import SqliteExecutor
from coord_server.storage._prepared import PreparedStatements
from coord_server.storage._sqlite import SqliteDatabase


def test_migrate_creates_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "coord.db"
    engine = make_engine(sqlite_url(path))
    head = migrate(engine)
    engine.dispose()
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
        version = db.execute("select version_num from alembic_version").fetchone()[0]
        mode = db.execute("pragma journal_mode").fetchone()[0]
    assert {"claims", "repo_state", "sessions", "queue_entries", "events"} <= tables
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


@pytest.mark.postgres
def test_postgres_migrates_once_and_refuses_a_newer_schema(
    postgres_databases: PostgresDatabases,
) -> None:
    with postgres_databases.fresh(migrated=False) as url:
        engine = make_engine(url)
        head = migrate(engine)
        assert migrate(engine) == head
        with engine.begin() as connection:
            tables = set(connection.execute(text(
                "select tablename from pg_tables where schemaname = 'public'"
            )).scalars())  # fmt: skip
            assert {"claims", "repo_state", "queue_entries", "events"} <= tables
            connection.execute(text("update alembic_version set version_num = '9999_future'"))
        with pytest.raises(SchemaError, match="newer than this coord-server"):
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

pytestmark = pytest.mark.anyio

TABLES = ("claims", "repo_state", "sessions", "events", "blocked_attempts", "inbox_notices")
T0 = datetime(2026, 11, 24, 12, 0, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 24, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
T2 = T0 + timedelta(minutes=3, microseconds=7)
REPO = "acme/web"


def _claim_row(claim_id: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": claim_id, "repo": REPO, "engineer": "alex/claude/main", "branch": "main",
        "description": None, "claim_type": "file", "pattern": "src/a.ts", "symbols": None,
        "narrowable": True, "shared": False, "severity": "soft", "coexists_with": [],
        "session_id": "s-1", "fence": 1, "created_at": T0, "expires_at": T1,
        "last_activity": T0, "released_at": None, "release_reason": None,
    }  # fmt: skip
    return {**row, **changes}


def _event_row(event_type: str, at: datetime, **detail: Any) -> dict[str, Any]:
    return {"event_type": event_type, "at": at, "repo": "", "engineer": None, "detail": detail}


def _notice_row(**extra: Any) -> dict[str, Any]:
    return {"repo": REPO, "claim_id": "clm_a", "kind": "auto_conflict",
            "other_engineer": "sam", "pattern": "src/a.ts", "count": 1, "first_at": T0,
            "at": T0, **extra}  # fmt: skip


Transactions = Callable[[], AbstractAsyncContextManager[Transaction]]


async def _write_everything(store: Store, transaction: Transactions) -> list[bool]:
    """Every hot write, with awkward values (nulls, JSON null, lists, zones, microseconds)."""
    bumped = []
    async with transaction() as tx:
        tx.versions[REPO] = 1
        await store.claims.insert(tx, [
            _claim_row("clm_a"),
            _claim_row("clm_b", symbols=["Router.login", "é"], coexists_with=["clm_a"],
                       narrowable=False, shared=True, severity="hard", session_id=None,
                       last_activity=None, description="auth — rewrite", fence=2),
        ])  # fmt: skip
        await store.repos.save(tx, REPO, RepoState(1, 2, 0, stored=False))
        await store.sessions.touch(tx, "s-1", "operator", T0)
        await store.events.insert(
            tx,
            [
                _event_row("claim_granted", T1, claim_id="clm_a", symbols=None),
                _event_row("claim_granted", T0, nested={"a": [1, None, "ü"]}),
            ],
        )
        blocked = {"repo": REPO, "pattern": "src/a.ts", "engineer": "sam",
                   "holder_claim_id": "clm_a", "at": T2}  # fmt: skip
        await store.hotspots.insert_blocked(tx, [blocked])
        await store.inbox.insert(tx, [_notice_row()])
        await store.inbox.insert(tx, [_notice_row(kind="auto_narrow", other_claim_id="clm_b",
                                                  symbols=["Router.login"])])  # fmt: skip
    async with transaction() as tx:
        tx.versions[REPO] = 2
        await store.repos.save(tx, REPO, RepoState(2, 3, 1, stored=True))
        await store.sessions.touch(tx, "s-1", "operator", T2)
        await store.claims.release(tx, REPO, ["clm_a", "clm_a", "clm_missing"], T2, "released")
        bumped.extend([
            await store.inbox.bump(tx, claim_id, "auto_conflict", "sam", at=T2, pattern="x")
            for claim_id in ("clm_a", "clm_b")
        ])  # fmt: skip
        await store.events.insert(
            tx, [_event_row("claim_released", T2, claim_id="clm_a", reason="released")]
        )
    return bumped


def _stored_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"select * from {table} order by rowid").fetchall()
            for table in TABLES
        }


async def _read_back(store: Store) -> dict[str, Any]:
    async with store.transaction() as tx:
        active = await store.claims.active_in(tx, REPO)
        state = await store.repos.read_in(tx, REPO)
        changed = await store.claims.changed_in(tx, REPO, 1)
    return {
        "active": active,
        "released": await store.claims.get("clm_a"),
        "changed": [row["id"] for row in changed],
        "state": state,
        "sessions": await store.sessions.last_activity(["s-1"]),
        "events": await store.events.after(0, 100),
        "blocked": await store.hotspots.blocked_since(T0),
        "notices": await store.inbox.about(["clm_a", "clm_b"], None),
    }


def _new_store(path: Path) -> tuple[Store, SqliteDatabase]:
    engine = make_engine(sqlite_url(path))
    migrate(engine)
    engine.dispose()
    db = SqliteDatabase(sqlite_url(path))
    return Store(db), db


def _statements_run(engine: Engine) -> list[str]:
    """The statements SQLAlchemy itself sends from now on (the direct path sends none)."""
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


async def test_direct_writes_store_and_read_back_exactly_as_sqlalchemy_writes(
    tmp_path: Path,
) -> None:
    (direct, direct_db), (reference, reference_db) = (
        _new_store(tmp_path / "direct.db"), _new_store(tmp_path / "sa.db")
    )  # fmt: skip
    through_sqlalchemy = PreparedStatements(reference_db.dialect, direct=False)

    @asynccontextmanager
    async def sqlalchemy_transaction() -> AsyncIterator[Transaction]:
        with reference_db.engine.begin() as connection:
            yield Transaction(SqliteExecutor(connection), through_sqlalchemy)

    sent_directly = _statements_run(direct_db.engine)
    sent_by_sqlalchemy = _statements_run(reference_db.engine)
    assert await _write_everything(direct, direct.transaction) == [True, False]
    assert await _write_everything(reference, sqlalchemy_transaction) == [True, False]
    assert sent_directly == [] and len(sent_by_sqlalchemy) >= 12

    assert _stored_rows(tmp_path / "direct.db") == _stored_rows(tmp_path / "sa.db")
    seen = await _read_back(direct)
    assert seen == await _read_back(reference)
    claim_b, claim_a = seen["active"][0], seen["released"]
    assert [row["id"] for row in seen["active"]] == ["clm_b"]
    assert seen["changed"] == ["clm_a"], "the release stamped its row with version 2"
    assert claim_a["symbols"] is None and claim_a["coexists_with"] == []
    assert claim_a["released_at"] == T2 and claim_a["release_reason"] == "released"
    assert claim_a["expires_at"] == T1 and claim_a["expires_at"].tzinfo == UTC
    assert claim_b["symbols"] == ["Router.login", "é"] and claim_b["shared"] is True
    assert claim_b["last_activity"] is None and claim_b["description"] == "auth — rewrite"
    assert seen["state"] == (RepoState(2, 3, 1, stored=True), 0)
    assert seen["sessions"] == {"s-1": T2}
    assert [e["detail"] for e in seen["events"]] == [
        {"claim_id": "clm_a", "symbols": None},
        {"nested": {"a": [1, None, "ü"]}},
        {"claim_id": "clm_a", "reason": "released"},
    ]
    counted = {n["kind"]: (n["count"], n["pattern"], n["symbols"]) for n in seen["notices"]}
    narrowed = (1, "src/a.ts", ["Router.login"])
    assert counted == {"auto_conflict": (2, "x", None), "auto_narrow": narrowed}
    for db in (direct_db, reference_db):
        await db.close()


@pytest.fixture
async def any_store(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    """A migrated store on SQLite or PostgreSQL."""
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = sqlite_url(tmp_path / "coord.db")
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
    store = Store(open_database(url, pool_size=2))
    yield store
    await store.db.close()


async def test_a_failed_write_rolls_back_and_the_next_transaction_works(any_store: Store) -> None:
    store = any_store
    with pytest.raises(IntegrityError):  # noqa: PT012 - the transaction is the statement
        async with store.transaction([REPO]) as tx:
            await store.claims.insert(tx, [_claim_row("clm_a")])
            await store.events.insert(tx, [_event_row("claim_granted", T0)])
            await store.claims.insert(tx, [_claim_row("clm_a")])  # the same id again
    with pytest.raises(RuntimeError, match="own error"):  # noqa: PT012 - as above
        async with store.transaction([REPO]) as tx:
            await store.claims.insert(tx, [_claim_row("clm_a")])
            raise RuntimeError("a caller's own error after a write")
    assert await store.claims.get("clm_a") is None and await store.events.last_id() == 0
    async with store.transaction([REPO]) as tx:
        await store.claims.insert(tx, [_claim_row("clm_a")])
        await store.claims.update(tx, REPO, "clm_a", description="changed in the same transaction")
    stored = await store.claims.get("clm_a")
    assert stored is not None and stored["description"].startswith("changed")


async def test_events_get_increasing_ids_in_the_transaction(any_store: Store) -> None:
    store = any_store
    seen: list[list[int]] = []
    for _ in range(2):
        async with store.transaction() as tx:
            await store.events.insert(
                tx, [_event_row("claim_granted", T0), _event_row("claim_granted", T1)]
            )
            seen.append([row["id"] for row in tx.events])
    assert seen[0][0] < seen[0][1] < seen[1][0] < seen[1][1]
    assert await store.events.last_id() == seen[1][1]


async def test_a_batch_of_events_learns_the_ids_its_rows_were_stored_under(
    any_store: Store,
) -> None:
    store = any_store
    async with store.transaction() as tx:
        await store.events.insert(tx, [_event_row("claim_granted", T0)])
    async with store.transaction() as tx:
        kinds = ["claim_granted", "auto-coexist", "claim_released"]
        await store.events.insert(tx, [_event_row(kind, T1) for kind in kinds])
        learned = {row["id"]: row["event_type"] for row in tx.events}
    stored = {row["id"]: row["event_type"] for row in await store.events.after(0, 10)}
    assert len(learned) == 3
    assert {event_id: stored[event_id] for event_id in learned} == learned
