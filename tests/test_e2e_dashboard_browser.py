"""The dashboard in headless Chromium against a real `coord-api` (SPEC §12)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from coord_browser import artifact, chromium
from coord_e2e import CoordApi, CoordApiFactory

from coord_cli.start import dashboard_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_SCREENSHOT = Path(__file__).parents[1] / "docs" / "dashboard.png"
WAIT_MS = 5000
"""How long the page may take to show a change (the stream is live; this only bounds a hang)."""


@pytest.fixture(scope="module")
def api(module_coord_api_factory: CoordApiFactory) -> CoordApi:
    return module_coord_api_factory.start()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def http(api: CoordApi) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {api.token}"}
    with httpx.Client(base_url=api.base_url, headers=headers, timeout=60) as client:
        yield client


class Visit:
    """One browser context (its own cookie jar) and every URL it requested."""

    def __init__(self, browser: Any, api: CoordApi, width: int = 1280, height: int = 800) -> None:
        self.api = api
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.urls: list[str] = []
        self.context.on("request", lambda request: self.urls.append(request.url))
        self.page = self.context.new_page()

    def sign_in(self, token: str) -> None:
        self.page.goto(f"{self.api.base_url}/dashboard")
        self.page.get_by_label("Token").fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("#live-state:has-text('live')", timeout=WAIT_MS)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.urls if not url.startswith((self.api.base_url, "data:"))]


@pytest.fixture
def visit(browser: Any, api: CoordApi) -> Iterator[Visit]:
    opened = Visit(browser, api)
    yield opened
    opened.context.close()


def claim(http: httpx.Client, engineer: str, pattern: str, **extra: Any) -> httpx.Response:
    return http.post("/claims", json={"engineer": engineer, "claims": [{"pattern": pattern}],
                                      **extra})  # fmt: skip


def test_claims_and_waiters_appear_live_and_leave(visit: Visit, http: httpx.Client) -> None:
    visit.sign_in(str(visit.api.token))
    page = visit.page
    page.evaluate("window.notReloaded = true")
    held = claim(http, "alex", "src/live.ts", repo="acme/live").json()["claim_ids"][0]
    page.wait_for_selector(f'tr[data-claim="{held}"]', timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True  # updated in place, not reloaded

    answers: list[int] = []
    body = {"engineer": "sam", "claims": [{"pattern": "src/live.ts"}], "repo": "acme/live",
            "wait_seconds": 60}  # fmt: skip
    waiter = threading.Thread(target=lambda: answers.append(
        http.post("/claims", json=body).status_code))  # fmt: skip
    waiter.start()
    row = page.wait_for_selector("#queue tr[data-queue]", timeout=WAIT_MS)
    assert "sam" in row.inner_text()
    http.delete(f"/claims/{held}")
    page.wait_for_selector("#queue tr[data-queue]", state="detached", timeout=WAIT_MS)
    waiter.join()
    assert answers == [200]

    cookies = visit.context.cookies()
    assert {cookie["name"] for cookie in cookies} <= {"coord_dashboard", "coord_dashboard_form"}
    assert all(str(visit.api.token) not in cookie["value"] for cookie in cookies)
    assert all(cookie["httpOnly"] and cookie["sameSite"] == "Strict" for cookie in cookies)
    page.screenshot(path=str(artifact("dashboard-1280x800.png")))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifact("dashboard-390x844.png")))
    if os.environ.get("COORD_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(artifact("dashboard-1280x800.png"), DOCS_SCREENSHOT)
    assert visit.foreign_requests() == []


def test_apply_promotes_and_the_chip_changes(visit: Visit, http: httpx.Client) -> None:
    claim(http, "alex", "src/hot.ts", repo="acme/hot")
    for name in ("sam", "kim", "lee", "ann", "bob"):
        assert claim(http, name, "src/hot.ts", repo="acme/hot").status_code == 409
    visit.sign_in(str(visit.api.token))
    page = visit.page
    row = page.locator('tr[data-hotspot="src/hot.ts"]')
    assert "promote to shared_file" in row.inner_text()
    row.get_by_role("button", name="Apply").click()
    page.wait_for_selector('tr[data-hotspot="src/hot.ts"] .chip-applied', timeout=WAIT_MS)
    assert "src/hot.ts" in http.get("/config/ownership").text
    assert visit.foreign_requests() == []


def test_engineer_sees_no_apply_button_and_no_other_repo(
    browser: Any, api: CoordApi, http: httpx.Client
) -> None:
    token = http.post("/admin/tokens", json={"engineer": "eve", "repo": "acme/eve"}).json()
    claim(http, "eve", "src/eve.ts", repo="acme/eve")
    claim(http, "zed", "src/zed.ts", repo="acme/zed")
    claim(http, "eve", "src/eve.ts", repo="acme/eve")
    for name in ("sam", "kim", "lee", "ann", "bob"):
        claim(http, name, "src/eve.ts", repo="acme/eve")
    engineer = Visit(browser, api)
    try:
        engineer.sign_in(token["token"])
        text = engineer.page.inner_text("main")
        assert "src/eve.ts" in text and "src/zed.ts" not in text
        assert engineer.page.locator('form[action="/dashboard/promote"]').count() == 0
    finally:
        engineer.context.close()


def test_posts_without_csrf_are_refused_and_logout_ends_the_session(visit: Visit) -> None:
    visit.sign_in(str(visit.api.token))
    page = visit.page
    refused = page.request.post(
        f"{visit.api.base_url}/dashboard/promote",
        form={"action": "shared_file", "pattern": "src/forged.ts"},
    )
    assert refused.status == 403
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("#token", timeout=WAIT_MS)
    page.goto(f"{visit.api.base_url}/dashboard")
    assert page.locator("#token").count() == 1
    assert page.locator("#claims").count() == 0


def test_the_start_commands_link_signs_in_without_the_token_in_the_url(visit: Visit) -> None:
    link = dashboard_link(visit.api.base_url, str(visit.api.token))
    assert str(visit.api.token) not in link and "/dashboard/login/" in link
    visit.page.goto(link)
    visit.page.wait_for_selector("#live-state:has-text('live')", timeout=WAIT_MS)
    assert "the operator" in visit.page.inner_text("header")
    assert all(str(visit.api.token) not in url for url in visit.urls)
