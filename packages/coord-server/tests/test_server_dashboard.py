"""The dashboard over ASGI, without a browser: panels, empty states, sign-in, CSRF, scoping."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from server_support import TOKEN, FakeClock, claim_body, eventually, serve

from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import Settings
from coord_server.storage import schema

pytestmark = pytest.mark.anyio

Served = tuple[httpx.AsyncClient, AppContext]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
EMPTY_STATES = (
    "No active claims.",
    "Nobody is waiting.",
    "No release requests.",
    "No conflicts yet.",
    "No hotspots in the last 30 days.",
    "No auto-resolutions in the last 30 days.",
    "No deliveries in the last 24 hours.",
    "No stale engineers",
)


@pytest.fixture
def started(make_settings: Callable[..., Settings], clock: FakeClock) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Served]:
        settings = make_settings(disable_background_cleanup=True, **overrides)
        app = create_app(settings, clock)
        async with serve(app) as client:
            yield client, app.state.coord

    return start


def browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A client of the same app without the bearer token: it has only cookies."""
    return httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(web: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await web.get("/dashboard")
    return await web.post(
        "/dashboard/login", data={"token": token, "csrf_token": csrf_of(form.text)}
    )


async def engineer_token(client: httpx.AsyncClient, engineer: str, **body: Any) -> str:
    answer = await client.post("/admin/tokens", json={"engineer": engineer, **body})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def section(html: str, anchor: str) -> str:
    """The HTML of one panel (from its heading to the next panel)."""
    start = html.index(f'id="{anchor}-h"')
    end = html.find('<section class="panel', start)
    return html[start : end if end > 0 else len(html)]


# -- who sees what ----------------------------------------------------------------------


async def test_without_a_session_the_page_is_the_login_form_only(started: Any) -> None:
    async with started() as (client, _ctx):
        await client.post("/claims", json=claim_body("alex", "src/secret.ts"))
        async with browser(client) as web:
            answer = await web.get("/dashboard")
    assert answer.status_code == 200
    assert '<label for="token">Token</label>' in answer.text
    assert "src/secret.ts" not in answer.text
    assert "Active claims" not in answer.text


async def test_a_bearer_token_gets_the_page_with_every_empty_state(started: Any) -> None:
    async with started() as (client, _ctx):
        answer = await client.get("/dashboard")
    assert answer.status_code == 200
    assert "Content-Security-Policy" in answer.headers
    for text in EMPTY_STATES:
        assert text in answer.text, text
    assert "set COORD_WEBHOOK_URL" in answer.text


async def test_panels_show_claims_queue_requests_conflicts_and_hotspots(started: Any) -> None:
    async with started() as (client, ctx):
        granted = await client.post(
            "/claims", json=claim_body("alex", "src/app.ts", repo="acme/shop")
        )
        holder_id = granted.json()["claim_ids"][0]
        for name in ("sam", "kim", "lee", "ann", "bob"):
            refused = await client.post(
                "/claims", json=claim_body(name, "src/app.ts", repo="acme/shop")
            )
            assert refused.status_code == 409
        filed = await client.post("/requests", json={"claim_id": holder_id, "requester": "sam",
                                                     "reason": "need the router"})  # fmt: skip
        assert filed.status_code in {200, 201, 202}, filed.text
        wait_body = claim_body("kim", "src/app.ts", repo="acme/shop", wait_seconds=30)
        waiting = asyncio.ensure_future(client.post("/claims", json=wait_body))
        await eventually(lambda: ctx.desk.depth("kim") == 1)
        page = (await client.get("/dashboard")).text
        await client.delete(f"/claims/{holder_id}")
        assert (await waiting).status_code == 200
    assert "alex" in section(page, "claims") and "src/app.ts" in section(page, "claims")
    queue = section(page, "queue")
    assert "acme/shop: 1 waiting; next is kim, blocked by alex" in queue
    assert "need the router" not in page  # reasons are free text; the panel shows who and what
    assert "sam" in section(page, "requests") and "pending" in section(page, "requests")
    conflicts = section(page, "conflicts")
    assert "bob" in conflicts and "alex" in conflicts
    hotspots = section(page, "hotspots")
    assert "promote to shared_file" in hotspots and "<svg" in hotspots
    assert 'action="/dashboard/promote"' in hotspots
    assert '<span data-count="active">' not in page  # counts are in the status bar
    assert re.search(r'data-count="queue">1<', page)
    assert re.search(r'data-count="blocked">1<', page)


async def test_heatmap_webhooks_and_stale_engineers(started: Any, clock: FakeClock) -> None:
    async with started() as (client, ctx):
        await client.post("/claims", json=claim_body("alex", "src/old.ts", repo="acme/shop"))
        async with ctx.store.transaction() as tx:
            await tx.execute(schema.events.insert().values(
                event_type="auto-narrow", at=clock.now, repo="acme/shop", engineer="sam",
                detail={}))  # fmt: skip
            await tx.execute(schema.webhook_outbox.insert().values(
                delivery_id="dlv_gaveup", event_id=1, event_type="claim_granted", body="{}",
                state="exhausted", attempts=5, created_at=clock.now, last_status=500,
                last_error="HTTP 500"))  # fmt: skip
        clock.advance(minutes=20)
        page = (await client.get("/dashboard")).text
    heatmap = section(page, "heatmap")
    assert "<svg" in heatmap and "acme/shop" in heatmap and "1 auto-narrow" in heatmap
    webhooks = section(page, "webhooks")
    assert "claim_granted" in webhooks and "HTTP 500" in webhooks
    assert 'name="delivery_id" value="dlv_gaveup"' in webhooks
    stale = section(page, "stale")
    assert "alex" in stale and "20 min ago" in stale
    assert 'title="2026-11-24 12:00:00 UTC"' in stale


async def test_claims_table_filters_and_pages(started: Any) -> None:
    async with started() as (client, _ctx):
        for n in range(55):
            await client.post("/claims", json=claim_body("alex", f"src/f{n}.ts", repo="acme/a"))
        await client.post("/claims", json=claim_body("sam", "docs/x.md", repo="acme/b"))
        first = section((await client.get("/dashboard")).text, "claims")
        second = section((await client.get("/dashboard?page=2")).text, "claims")
        only_sam = section((await client.get("/dashboard?engineer=sam")).text, "claims")
        bad = await client.get("/dashboard?page=abc")
    assert "56 active claims" in first and "page 1 of 2" in first and 'rel="next"' in first
    assert "page 2 of 2" in second and second.count("<tr data-claim") == 6
    assert "docs/x.md" in only_sam and "src/f1.ts" not in only_sam
    assert bad.status_code == 422 and "query.page" in bad.json()["detail"]


# -- sessions ---------------------------------------------------------------------------


async def test_sign_in_sets_a_session_cookie_that_holds_no_token(started: Any) -> None:
    async with started() as (client, _ctx), browser(client) as web:
        answer = await sign_in(web, TOKEN)
        page = await web.get("/dashboard")
        jar = dict(web.cookies)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    assert all(TOKEN not in value for value in jar.values())
    assert "Signed in as <strong>the operator</strong>" in page.text


async def test_sign_in_refuses_a_wrong_token_and_a_missing_csrf(started: Any) -> None:
    async with started() as (client, _ctx), browser(client) as web:
        wrong = await sign_in(web, "not-a-token")
        no_csrf = await web.post("/dashboard/login", data={"token": TOKEN})
    assert wrong.status_code == 401 and "unknown, revoked or expired" in wrong.text
    assert no_csrf.status_code == 403 and "sign in again" in no_csrf.text
    assert "set-cookie" not in no_csrf.headers or "coord_dashboard=" not in no_csrf.headers.get(
        "set-cookie", ""
    )


async def test_forms_without_the_session_csrf_are_refused(started: Any) -> None:
    async with started() as (client, _ctx):
        async with browser(client) as web:
            await sign_in(web, TOKEN)
            missing = await web.post("/dashboard/promote", data={"action": "shared_file",
                                                                "pattern": "src/a.ts"})  # fmt: skip
            wrong = await web.post("/dashboard/logout", data={"csrf_token": "guess"})
            still = await web.get("/dashboard")
        owners = await client.get("/config/ownership")
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    assert wrong.status_code == 403
    assert "Sign out" in still.text  # the refused logout ended nothing
    assert "src/a.ts" not in owners.text


async def test_promote_from_the_page_writes_the_rule_and_changes_the_chip(started: Any) -> None:
    async with started() as (client, _ctx):
        await client.post("/claims", json=claim_body("alex", "src/router.ts"))
        for name in ("sam", "kim", "lee", "ann", "bob"):
            await client.post("/claims", json=claim_body(name, "src/router.ts"))
        async with browser(client) as web:
            await sign_in(web, TOKEN)
            page = await web.get("/dashboard")
            applied = await web.post("/dashboard/promote", data={
                "action": "shared_file", "pattern": "src/router.ts", "repo": "",
                "csrf_token": csrf_of(section(page.text, "hotspots"))})  # fmt: skip
            after = await web.get(applied.headers["location"])
        owners = (await client.get("/config/ownership")).text
    assert applied.status_code == 303
    assert "src/router.ts" in owners
    hotspots = section(after.text, "hotspots")
    assert "shared_file (applied)" in hotspots and 'action="/dashboard/promote"' not in hotspots
    assert "The rule was written to owners.yaml." in after.text


async def test_engineer_sessions_see_their_repo_and_no_operator_buttons(started: Any) -> None:
    async with started() as (client, _ctx):
        token = await engineer_token(client, "alex", repo="acme/shop")
        await client.post("/claims", json=claim_body("alex", "src/app.ts", repo="acme/shop"))
        await client.post("/claims", json=claim_body("zed", "lib/other.ts", repo="acme/other"))
        for name in ("sam", "kim", "lee", "ann", "bob"):
            await client.post("/claims", json=claim_body(name, "src/app.ts", repo="acme/shop"))
        async with browser(client) as web:
            await sign_in(web, token)
            page = (await web.get("/dashboard")).text
            form = {"action": "shared_file", "pattern": "src/app.ts", "csrf_token": csrf_of(page)}
            refused = await web.post("/dashboard/promote", data=form)
    assert "src/app.ts" in page and "lib/other.ts" not in page and "acme/other" not in page
    assert 'action="/dashboard/promote"' not in page
    assert "sign in with the operator token to see it" in section(page, "webhooks")
    assert refused.status_code == 403


async def test_logout_ends_the_session_for_that_cookie(started: Any) -> None:
    async with started() as (client, _ctx), browser(client) as web:
        await sign_in(web, TOKEN)
        cookie = web.cookies["coord_dashboard"]
        page = await web.get("/dashboard")
        out = await web.post("/dashboard/logout", data={"csrf_token": csrf_of(page.text)})
        web.cookies.set("coord_dashboard", cookie, path="/dashboard")  # a copy kept aside
        again = await web.get("/dashboard")
    assert out.status_code == 303
    assert '<label for="token">Token</label>' in again.text


async def test_sessions_expire_and_follow_their_token(started: Any, clock: FakeClock) -> None:
    async with started(dashboard_session_hours=1) as (client, _ctx):
        token = await engineer_token(client, "alex")
        token_id = (await client.get("/admin/tokens")).json()["tokens"][0]["id"]
        async with browser(client) as web, browser(client) as other:
            await sign_in(web, TOKEN)
            await sign_in(other, token)
            await client.delete(f"/admin/tokens/{token_id}")
            revoked = await other.get("/dashboard")
            clock.advance(hours=1, seconds=1)
            expired = await web.get("/dashboard")
    assert "Token</label>" in revoked.text
    assert "Token</label>" in expired.text


async def test_a_login_link_works_once(started: Any) -> None:
    async with started() as (client, _ctx):
        link = (await client.post("/dashboard/login-links")).json()
        async with browser(client) as web:
            anonymous = await web.post("/dashboard/login-links")
            first = await web.get(link["path"])
            page = await web.get("/dashboard")
        async with browser(client) as later:
            second = await later.get(link["path"])
    assert anonymous.status_code == 401
    assert first.status_code == 303 and "coord_dashboard=" in first.headers["set-cookie"]
    assert "Signed in as <strong>the operator</strong>" in page.text
    assert second.status_code == 401 and "used already or has expired" in second.text


async def test_the_event_stream_needs_a_viewer_and_assets_are_served(started: Any) -> None:
    async with started() as (client, _ctx), browser(client) as web:
        refused = await web.get("/dashboard/events")
        script = await web.get("/dashboard/static/dashboard.js")
        missing = await web.get("/dashboard/static/other.js")
    assert refused.status_code == 401
    assert script.status_code == 200 and "EventSource" in script.text
    assert "setInterval" not in script.text and "://" not in script.text
    assert missing.status_code == 404
