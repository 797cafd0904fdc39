"""Headless Chromium for the dashboard's browser tests, from the system's Debian packages.

Playwright drives `/usr/bin/chromium` (never a downloaded browser). Without it a `browser`
test skips with the reason, unless `COORD_TEST_REQUIRE_ALL=1` makes that a failure (CI, whose
`.ci/run` installs the `chromium` and `chromium-driver` packages).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("COORD_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("COORD_TEST_ARTIFACTS", "test-artifacts"))
"""Screenshots of the browser tests land here (relative to the working directory)."""


def require_chromium() -> None:
    """Skip (or, with COORD_TEST_REQUIRE_ALL=1, fail) when Chromium or Playwright is missing."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"headless Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401, PLC0415 - an optional test dependency
        except ImportError:
            reason = "the playwright package is not installed (uv sync)"
    if reason is None:
        return
    if os.environ.get("COORD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (COORD_TEST_REQUIRE_ALL=1 forbids skipping it)")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's `Browser`)."""
    require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when it exists

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


def artifact(name: str) -> Path:
    """Where a test writes the artifact `name`."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
