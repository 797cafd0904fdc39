"""End-to-end fixtures for every test of the workspace: real `coord-api` processes, git repos.

`coord_api` is a server started through its console script on a free loopback port with a
fresh SQLite database and the operator token `coord_e2e.TOKEN`; `coord_api_factory` starts more
(a checkout, other settings, restarts on the same database) and runs ones that are expected to
refuse to start; `module_coord_api_factory` starts servers that the tests of one module share.
`git_repo` builds temporary git repositories with committed files; `module_git_repo` builds
ones a module shares. `postgres_url` is a fresh PostgreSQL database for one test (see
`tests/support/coord_pg.py`). The helpers behind them, and the types to annotate them with, are in
`tests/support/coord_e2e.py`, importable by name from any test module.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from coord_e2e import (
    CoordApi,
    CoordApiFactory,
    GitRepoFactory,
    attach_server_logs,
    git_repo_maker,
    serving,
)
from coord_pg import PostgresDatabases


@pytest.fixture
def coord_api_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CoordApiFactory]:
    """Starts `coord-api` processes (`.start()`, `.restart()`, `.run_to_exit()`) for one test."""
    yield from serving(request, tmp_path_factory)


@pytest.fixture(scope="module")
def module_coord_api_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CoordApiFactory]:
    """Like `coord_api_factory`, for servers that the tests of one module share.

    A start costs about a second and a half; tests sharing a server must leave it (or reset
    it) in a state the next test can start from.
    """
    yield from serving(request, tmp_path_factory)


@pytest.fixture
def coord_api(coord_api_factory: CoordApiFactory) -> CoordApi:
    """A running `coord-api` with a fresh database, no checkout and the operator token `TOKEN`."""
    return coord_api_factory.start()


@pytest.fixture
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepoFactory:
    """Makes git repositories: `git_repo({"src/a.ts": "text", ...}) -> Path` of the checkout.

    See `coord_e2e.git_repo_maker`; skips the test without git.
    """
    return git_repo_maker(tmp_path_factory)


@pytest.fixture(scope="module")
def module_git_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepoFactory:
    """`git_repo` for repositories that the tests of one module share."""
    return git_repo_maker(tmp_path_factory)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """The test run's PostgreSQL databases (see `coord_pg`)."""
    databases = PostgresDatabases()
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test (skips without a server)."""
    with postgres_databases.fresh() as url:
        yield url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the stderr of every server a failing test used (its own or its module's)."""
    report = yield
    attach_server_logs(item, report)
    return report
