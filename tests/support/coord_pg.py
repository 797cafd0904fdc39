"""PostgreSQL for tests: a fresh database per test, cloned from a migrated template.

The server named by `COORD_TEST_POSTGRES_URL` (default: the local one, user `postgres`, trust
auth) is used as it is; nothing is installed or configured. Migrating a database takes about a
second, cloning a migrated one a tenth of that, so the schema is built once per test run (in a
template database of that run) and each test gets its own copy, dropped after it.

A missing server skips the test, unless `COORD_TEST_REQUIRE_ALL=1` makes that a failure (CI).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "COORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def require_postgres() -> None:
    """Skip (or, with COORD_TEST_REQUIRE_ALL=1, fail) when no PostgreSQL server answers."""
    try:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3):
            return
    except Exception as exc:
        reason = f"no PostgreSQL server at {ADMIN_URL} ({type(exc).__name__}: {exc})"
    if os.environ.get("COORD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (COORD_TEST_REQUIRE_ALL=1 forbids skipping it)")
    pytest.skip(reason)


def database_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class PostgresDatabases:
    """Databases of one test run: a migrated template, and copies of it."""

    def __init__(self) -> None:
        self._run = f"coord_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._template: str | None = None

    def _admin(self, sql: str) -> None:
        import psycopg  # noqa: PLC0415

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def _ensure_template(self) -> str:
        if self._template is None:
            from coord_server.storage import make_engine, migrate  # noqa: PLC0415

            name = f"{self._run}_template"
            self._admin(f'CREATE DATABASE "{name}"')
            engine = make_engine(database_url(name))
            try:
                migrate(engine)
            finally:
                engine.dispose()
            self._template = name
        return self._template

    @contextmanager
    def fresh(self, migrated: bool = True) -> Iterator[str]:
        """A new database (with coord's schema unless `migrated=False`), dropped afterwards."""
        require_postgres()
        name = f"{self._run}_{secrets.token_hex(4)}"
        template = f' TEMPLATE "{self._ensure_template()}"' if migrated else ""
        self._admin(f'CREATE DATABASE "{name}"{template}')
        try:
            yield database_url(name)
        finally:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Drop the template (every copy was dropped by its test)."""
        if self._template is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._template = None
