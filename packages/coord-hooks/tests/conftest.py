"""Fixtures of the hook tests: a real `coord-api` shared per module, with no claims per test.

Helpers live in `support/hooks_support.py`, which this file puts on sys.path so test modules
import it by name (test directories are not packages).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "support"))

from hooks_support import E2E, Service  # after the sys.path line above

module_coord_api_factory = E2E.module_coord_api_factory
pytest_runtest_makereport = E2E.pytest_runtest_makereport


@pytest.fixture(scope="module")
def module_service(module_coord_api_factory: Any) -> Iterator[Service]:
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
    return f"http://127.0.0.1:{E2E.free_port()}"
