"""Fixtures of the hook tests: a real `coord-api` shared per module, with no claims per test.

Helpers live in `support/hooks_support.py` (on pytest's `pythonpath`, so test modules import it
by name); the server comes from the workspace's `module_coord_api_factory` (root `conftest.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from coord_e2e import CoordApiFactory, free_port
from hooks_support import Service


@pytest.fixture(scope="module")
def module_service(module_coord_api_factory: CoordApiFactory) -> Iterator[Service]:
    """One `coord-api` shared by the tests of a module."""
    server = module_coord_api_factory.start()
    with server.client() as http:
        yield Service(server.base_url, http)


@pytest.fixture
def service(module_service: Service) -> Service:
    """The module's service with no active claims."""
    module_service.release_all()
    return module_service


@pytest.fixture
def dead_url() -> str:
    """A loopback URL nobody listens on: a coord service that is down."""
    return f"http://127.0.0.1:{free_port()}"
