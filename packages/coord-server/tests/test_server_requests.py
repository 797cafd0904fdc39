"""Release requests and the holder's inbox (SPEC §7): filing, every answer, on-time endings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, claim_body, eventually, serve

from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import Settings
from coord_server.storage import schema

pytestmark = pytest.mark.anyio

Clocked = tuple[httpx.AsyncClient, AppContext, FakeClock]
WAIT_SEC = 10.0


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def hold(client: httpx.AsyncClient, engineer: str, *patterns: str, **extra: Any) -> str:
    answer = await client.post("/claims", json=claim_body(engineer, *patterns, **extra))
    assert answer.status_code == 200, answer.text
    claim_id: str = answer.json()["claim_ids"][0]
    return claim_id


async def ask(
    client: httpx.AsyncClient, claim_id: str, requester: str = "sam", **extra: Any
) -> dict[str, Any]:
    body = {"claim_id": claim_id, "requester": requester, "reason": "need it", **extra}
    answer = await client.post("/requests", json=body)
    assert answer.status_code == 201, answer.text
    filed: dict[str, Any] = answer.json()
    return filed


async def respond(
    client: httpx.AsyncClient, request_id: str, decision: str, engineer: str = "alex", **extra: Any
) -> httpx.Response:
    body = {"decision": decision, "engineer": engineer, **extra}
    return await client.post(f"/requests/{request_id}/respond", json=body)


async def claim_of(client: httpx.AsyncClient, claim_id: str) -> dict[str, Any]:
    listed = (await client.get("/claims", params={"active_only": "false"})).json()["claims"]
    (row,) = [claim for claim in listed if claim["id"] == claim_id]
    return dict(row)


async def steps(client: httpx.AsyncClient, request_id: str) -> list[str]:
    timeline = (await client.get(f"/requests/{request_id}/events")).json()
    return [event["event_type"] for event in timeline["events"]]


async def event_types(ctx: AppContext) -> list[str]:
    rows = await ctx.store.db.read(
        sa.select(schema.events.c.event_type).order_by(schema.events.c.id)
    )
    return [row["event_type"] for row in rows]


def pending_requests(ctx: AppContext) -> list[str]:
    return [request_id for view in ctx.arbiter.views.values() for request_id in view.pending]


# -- filing ---------------------------------------------------------------------------------


async def test_filing_shortens_the_holder_claim_and_is_audited(clocked: Clocked) -> None:
    client, ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=2, session_id="alex-1")
    filed = await ask(client, claim_id, urgency="high", session_id="sam-1")
    assert filed["kind"] == "release" and filed["state"] == "pending"
    assert filed["holder"] == "alex" and filed["holder_pattern"] == "src/a.ts"
    assert filed["holder_session_id"] == "alex-1" and filed["urgency"] == "high"
    assert at(filed["claim_expires_at"]) == clock.now + timedelta(seconds=300)
    assert at((await claim_of(client, claim_id))["expires_at"]) == clock.now + timedelta(minutes=5)
    assert await ctx.expiry.next_deadline() == clock.now + timedelta(seconds=300)
    assert await steps(client, filed["id"]) == ["filed"]
    assert "request_filed" in await event_types(ctx)
    assert (await client.get(f"/requests/{filed['id']}")).json()["id"] == filed["id"]


async def test_a_claim_ending_sooner_keeps_its_expiry(clocked: Clocked) -> None:
    client, _ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=0.01)  # 36 s
    filed = await ask(client, claim_id)
    assert at(filed["claim_expires_at"]) == clock.now + timedelta(seconds=36)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"claim_id": "clm_missing"}, 404, "not_found"),
        ({"requester": "alex"}, 400, "bad_request"),
        ({"requested_scope": "docs/**"}, 400, "bad_request"),
        ({"requested_scope": "src/../x"}, 400, "invalid_pattern"),
        ({"requester": None}, 422, "validation_error"),
        ({"wait_seconds": 601}, 422, "validation_error"),
    ],
    ids=["unknown-claim", "own-claim", "scope-elsewhere", "bad-scope", "no-requester", "long"],
)  # fmt: skip
async def test_filing_refusals(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str
) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    request = {"claim_id": claim_id, "requester": "sam", "reason": "need it", **body}
    request = {key: value for key, value in request.items() if value is not None}
    answer = await client.post("/requests", json=request)
    assert answer.status_code == status and answer.json()["code"] == code


async def test_a_shared_claim_cannot_be_asked_for(client: httpx.AsyncClient) -> None:
    shared = await client.post(
        "/claims", json={"engineer": "alex", "claims": [{"type": "shared_file", "pattern": "x"}]}
    )
    body = {"claim_id": shared.json()["claim_ids"][0], "requester": "sam", "reason": "r"}
    answer = await client.post("/requests", json=body)
    assert answer.status_code == 400 and "blocks no one" in answer.json()["detail"]


async def test_idempotency_key_files_once(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    body = {"claim_id": claim_id, "requester": "sam", "reason": "need it"}
    headers = {"Idempotency-Key": "k-1"}
    first = await client.post("/requests", json=body, headers=headers)
    again = await client.post("/requests", json=body, headers=headers)
    assert again.json()["id"] == first.json()["id"]
    assert (await client.get("/requests")).json()["count"] == 1


# -- answers --------------------------------------------------------------------------------


async def test_approved_releases_and_serves_the_requester_ahead_of_the_queue(
    client: httpx.AsyncClient,
) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("kim", "src/a.ts", wait_seconds=30))
    )
    await settle_queue(client, 1)
    filed = await ask(client, claim_id, session_id="sam-1")
    answer = await respond(client, filed["id"], "approved", note="all yours")
    assert answer.status_code == 200
    decided = answer.json()
    assert decided["state"] == "decided" and decided["decision"] == "approved"
    assert decided["note"] == "all yours"
    (granted_id,) = decided["granted_claim_ids"]
    granted = await claim_of(client, granted_id)
    assert granted["engineer"] == "sam" and granted["session_id"] == "sam-1"
    assert granted["pattern"] == "src/a.ts"
    assert (await claim_of(client, claim_id))["released_at"] is not None
    queue = await client.get("/requests", params={"queued": "true"})
    (entry,) = queue.json()["requests"]
    assert entry["requester_engineer"] == "kim" and entry["blocking_engineer"] == "sam"
    assert await steps(client, filed["id"]) == ["filed", "responded"]
    await client.delete(f"/claims/{granted_id}")
    assert (await asyncio.wait_for(waiting, WAIT_SEC)).status_code == 200


async def settle_queue(client: httpx.AsyncClient, count: int) -> None:
    for _ in range(1000):
        if (await client.get("/requests", params={"queued": "true"})).json()["count"] >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{count} queue entries never appeared")


async def test_approved_grants_the_requested_scope_only(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/**")
    filed = await ask(client, claim_id, requested_scope="src/auth/")
    decided = (await respond(client, filed["id"], "approved")).json()
    granted = await claim_of(client, decided["granted_claim_ids"][0])
    assert granted["pattern"] == "src/auth/**"


async def test_approved_grant_is_skipped_when_a_third_party_holds_the_scope(
    client: httpx.AsyncClient,
) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    await hold(client, "kim", "src/b.ts")
    filed = await ask(client, claim_id, requested_scope="src/*.ts")
    decided = (await respond(client, filed["id"], "approved")).json()
    assert decided["decision"] == "approved" and decided["granted_claim_ids"] == []
    timeline = (await client.get(f"/requests/{filed['id']}/events")).json()["events"]
    assert timeline[-1]["detail"]["grant_blocked_by"]
    assert (await claim_of(client, claim_id))["released_at"] is not None


async def test_denied_restores_the_original_expiry_and_a_second_answer_is_409(
    clocked: Clocked,
) -> None:
    client, ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=2)
    original = (await claim_of(client, claim_id))["expires_at"]
    filed = await ask(client, claim_id)
    clock.advance(seconds=60)
    denied = (await respond(client, filed["id"], "denied", note="busy")).json()
    assert denied["decision"] == "denied" and denied["claim_expires_at"] is None
    assert (await claim_of(client, claim_id))["expires_at"] == original
    clock.advance(seconds=300)
    swept = await ctx.expiry.sweep(clock.now)
    assert swept.released == [], "the shortened expiry no longer applies"
    again = await respond(client, filed["id"], "approved")
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    assert "request_decided" in await event_types(ctx)


async def test_denial_keeps_the_short_expiry_while_another_request_is_pending(
    clocked: Clocked,
) -> None:
    client, _ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=2)
    original = (await claim_of(client, claim_id))["expires_at"]
    first = await ask(client, claim_id, requester="sam")
    clock.advance(seconds=10)
    second = await ask(client, claim_id, requester="kim")
    assert second["claim_expires_at"] == first["claim_expires_at"], "never extended by asking"
    await respond(client, first["id"], "denied")
    assert (await claim_of(client, claim_id))["expires_at"] == first["claim_expires_at"]
    await respond(client, second["id"], "denied")
    assert (await claim_of(client, claim_id))["expires_at"] == original


async def test_narrowed_replaces_pattern_and_fence_and_serves_what_was_freed(
    client: httpx.AsyncClient,
) -> None:
    claim_id = await hold(client, "alex", "src/**")
    before = await claim_of(client, claim_id)
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("kim", "src/ui/x.ts", wait_seconds=30))
    )
    await settle_queue(client, 1)
    filed = await ask(client, claim_id, requested_scope="src/docs/**")
    answer = await respond(client, filed["id"], "narrowed", narrowed_pattern="src/auth/")
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert decided["narrowed_pattern"] == "src/auth/**"
    after = await claim_of(client, claim_id)
    assert after["pattern"] == "src/auth/**" and after["fence"] > before["fence"]
    granted = await claim_of(client, decided["granted_claim_ids"][0])
    assert granted["engineer"] == "sam" and granted["pattern"] == "src/docs/**"
    assert (await asyncio.wait_for(waiting, WAIT_SEC)).status_code == 200
    refused = await client.post("/claims", json=claim_body("lee", "src/auth/login.ts"))
    assert refused.status_code == 409, "the narrowed claim still holds its part"


async def test_narrowing_is_rechecked_against_all_but_the_claims_it_coexists_with(
    client: httpx.AsyncClient,
) -> None:
    claim_id = await hold(client, "alex", "src/**")
    body = {"engineer": "sam", "claims": [{"pattern": "src/a.ts", "symbols": ["foo"]}]}
    partner = (await client.post("/claims", json=body)).json()["claim_ids"][0]
    assert (await claim_of(client, claim_id))["coexists_with"] == [partner], "auto-narrowed"
    filed = await ask(client, claim_id, requester="kim")
    answer = await respond(client, filed["id"], "narrowed", narrowed_pattern="src/a.ts")
    assert answer.status_code == 200, "the partner's symbols were carved out before"
    assert (await claim_of(client, claim_id))["pattern"] == "src/a.ts"
    assert (await claim_of(client, partner))["released_at"] is None


@pytest.mark.parametrize(
    ("held", "narrowed", "fragment"),
    [
        ("src/**", None, "needs narrowed_pattern"),
        ("src/**", "src/", "already"),
        ("src/**", "lib/**", "not inside"),
        ("src/*.ts", "src/**/*.ts", "not inside"),
        ("src/**", "*.ts", "not inside"),
    ],
    ids=["missing", "same-spelled-otherwise", "elsewhere", "deeper", "unanchored"],
)  # fmt: skip
async def test_narrowed_must_be_an_exact_subset(
    client: httpx.AsyncClient, held: str, narrowed: str | None, fragment: str
) -> None:
    claim_id = await hold(client, "alex", held)
    filed = await ask(client, claim_id)
    extra = {} if narrowed is None else {"narrowed_pattern": narrowed}
    answer = await respond(client, filed["id"], "narrowed", **extra)
    assert answer.status_code == 400 and fragment in answer.json()["detail"]
    still = (await client.get(f"/requests/{filed['id']}")).json()
    assert still["state"] == "pending", "a refused answer leaves the request open"


async def test_coexist_grants_a_pattern_beside_the_holder(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/**")
    filed = await ask(client, claim_id)
    answer = await respond(client, filed["id"], "coexist", coexist_pattern="src/docs/**")
    decided = answer.json()
    (granted_id,) = decided["granted_claim_ids"]
    granted = await claim_of(client, granted_id)
    holder = await claim_of(client, claim_id)
    assert granted["engineer"] == "sam" and granted["pattern"] == "src/docs/**"
    assert granted["coexists_with"] == [claim_id] and holder["coexists_with"] == [granted_id]
    assert holder["released_at"] is None
    third = await client.post("/claims", json=claim_body("kim", "src/docs/a.md"))
    assert {c["conflicting_claim"]["id"] for c in third.json()["conflicts"]} == {
        claim_id,
        granted_id,
    }


async def test_coexist_grants_a_symbol_set(client: httpx.AsyncClient) -> None:
    body = {"engineer": "alex", "claims": [{"pattern": "src/router.ts", "narrowable": False}]}
    claim_id = (await client.post("/claims", json=body)).json()["claim_ids"][0]
    filed = await ask(client, claim_id)
    answer = await respond(client, filed["id"], "coexist", coexist_symbols=["Router::login"])
    granted = await claim_of(client, answer.json()["granted_claim_ids"][0])
    assert granted["symbols"] == ["Router::login"] and granted["pattern"] == "src/router.ts"
    assert granted["scope_type"] == "symbol"


async def test_coexist_refused_by_a_third_party_leaves_the_request_pending(
    client: httpx.AsyncClient,
) -> None:
    third = await hold(client, "kim", "src/docs/a.md")
    claim_id = await hold(client, "alex", "src/app/**")
    filed = await ask(client, claim_id)
    answer = await respond(client, filed["id"], "coexist", coexist_pattern="src/**")
    assert answer.status_code == 409 and answer.json()["code"] == "conflict"
    assert answer.json()["blocking_claim_ids"] == [third]
    assert (await client.get(f"/requests/{filed['id']}")).json()["state"] == "pending"


async def test_only_the_holder_may_answer(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    filed = await ask(client, claim_id)
    stranger = await respond(client, filed["id"], "approved", engineer="sam")
    assert stranger.status_code == 403 and stranger.json()["code"] == "forbidden"
    missing = await respond(client, "req_missing", "approved")
    assert missing.status_code == 404
    bad = await respond(client, filed["id"], "maybe")
    assert bad.status_code == 422
    # The operator naming nobody answers for the holder (SPEC §13: it may act as anyone).
    operator = await client.post(f"/requests/{filed['id']}/respond", json={"decision": "denied"})
    assert operator.status_code == 200 and operator.json()["decision"] == "denied"


# -- long-polls and on-time endings ----------------------------------------------------------


async def test_filer_long_polls_for_the_decision(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    body = {"claim_id": claim_id, "requester": "sam", "reason": "r", "wait_seconds": 60}
    waiting = asyncio.create_task(client.post("/requests", json=body))
    ctx: AppContext = client._transport.app.state.coord  # type: ignore[attr-defined]

    async def filed() -> bool:
        return bool((await client.get("/requests", params={"state": "pending"})).json()["count"])

    await eventually(filed)
    (request_id,) = pending_requests(ctx)
    decided = await respond(client, request_id, "approved")
    assert decided.status_code == 200, decided.text
    answer = await asyncio.wait_for(waiting, WAIT_SEC)
    assert answer.status_code == 201
    assert answer.json()["decision"] == "approved" and answer.json()["granted_claim_ids"]


async def test_expiry_ends_the_request_on_time_and_a_late_answer_is_recorded(
    clocked: Clocked,
) -> None:
    client, ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=2)
    filed = await ask(client, claim_id)
    poll = asyncio.create_task(client.get(f"/requests/{filed['id']}", params={"wait_seconds": 60}))
    await eventually(lambda: ctx.requests.polls.waiting == 1)
    clock.advance(seconds=300)
    assert (await ctx.expiry.sweep(clock.now)).released == [claim_id]
    ended = (await asyncio.wait_for(poll, WAIT_SEC)).json()
    assert ended["state"] == "expired" and ended["decided_at"] is not None
    late = await respond(client, filed["id"], "denied")
    assert late.status_code == 409 and late.json()["code"] == "already_decided"
    assert await steps(client, filed["id"]) == ["filed", "expired", "responded-late"]


async def test_an_answer_after_the_short_expiry_is_late_even_before_the_sweep(
    clocked: Clocked,
) -> None:
    client, _ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=2)
    filed = await ask(client, claim_id)
    clock.advance(seconds=301)
    late = await respond(client, filed["id"], "approved")
    assert late.status_code == 409
    assert await steps(client, filed["id"]) == ["filed", "expired", "responded-late"]


async def test_release_resolves_the_request_at_once(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    filed = await ask(client, claim_id)
    await client.delete(f"/claims/{claim_id}")
    resolved = (await client.get(f"/requests/{filed['id']}")).json()
    assert resolved["state"] == "resolved" and resolved["decision"] is None
    assert await steps(client, filed["id"]) == ["filed", "resolved"]


async def test_approval_resolves_the_other_requests_on_the_claim(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/a.ts")
    first = await ask(client, claim_id, requester="sam")
    second = await ask(client, claim_id, requester="kim")
    await respond(client, first["id"], "approved")
    other = (await client.get(f"/requests/{second['id']}")).json()
    assert other["state"] == "resolved"


async def test_pending_requests_survive_a_restart(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    settings = make_settings(disable_background_cleanup=True)
    async with serve(create_app(settings, clock)) as client:
        claim_id = await hold(client, "alex", "src/a.ts")
        filed = await ask(client, claim_id)
    async with serve(create_app(settings, clock)) as client:
        decided = await respond(client, filed["id"], "denied")
        assert decided.status_code == 200 and decided.json()["decision"] == "denied"


# -- listings ------------------------------------------------------------------------------


async def test_listing_filters_and_the_queue_view(client: httpx.AsyncClient) -> None:
    alex_claim = await hold(client, "alex", "src/a.ts")
    kim_claim = await hold(client, "kim", "src/b.ts")
    to_alex = await ask(client, alex_claim, requester="sam")
    to_kim = await ask(client, kim_claim, requester="sam")
    await respond(client, to_kim["id"], "denied", engineer="kim")

    async def ids(**params: str) -> list[str]:
        listed = (await client.get("/requests", params=params)).json()
        assert listed["count"] == len(listed["requests"])
        return [row["id"] for row in listed["requests"]]

    assert await ids() == [to_kim["id"], to_alex["id"]]
    assert await ids(holder="alex") == [to_alex["id"]]
    assert await ids(engineer="kim") == [to_kim["id"]]
    assert await ids(requester="sam", state="pending") == [to_alex["id"]]
    assert await ids(decision="denied") == [to_kim["id"]]
    assert await ids(claim_id=alex_claim) == [to_alex["id"]]
    bad = await client.get("/requests", params={"state": "lost"})
    assert bad.status_code == 422
    queue = (await client.get("/requests", params={"queued": "true"})).json()
    assert queue["queued"] is True and queue["requests"] == []
    assert await steps(client, to_alex["id"]) == ["filed", "notified"], "holder listing = seen"
    assert (await client.get("/requests/req_missing/events")).status_code == 404


# -- the holder's inbox --------------------------------------------------------------------


async def test_inbox_lists_requests_once_notified(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/a.ts", session_id="alex-1")
    await hold(client, "alex", "docs/x.md")  # no session: not in this inbox
    filed = await ask(client, claim_id, requested_scope="src/a.ts")
    inbox = (await client.get("/sessions/alex-1/pending_requests")).json()
    assert inbox["session_id"] == "alex-1" and inbox["count"] == 1
    assert [r["id"] for r in inbox["requests"]] == [filed["id"]]
    (notice,) = inbox["notices"]
    assert notice["kind"] == "release_request" and notice["request"]["id"] == filed["id"]
    assert (
        notice["other_engineer"] == "sam"
        and f"/requests/{filed['id']}/respond" in (notice["message"])
    )
    assert inbox["requests"][0]["notified_at"] is not None
    await client.get("/sessions/alex-1/pending_requests")
    assert await steps(client, filed["id"]) == ["filed", "notified"], "notified once"
    await respond(client, filed["id"], "denied")
    assert (await client.get("/sessions/alex-1/pending_requests")).json()["count"] == 0
    assert (await client.get("/sessions/bad id/pending_requests")).status_code == 400


async def test_inbox_counts_refusals_caused_by_a_claim(clocked: Clocked) -> None:
    client, _ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/**", session_id="alex-1")
    await client.post("/claims", json=claim_body("sam", "src/a.ts"))
    clock.advance(seconds=5)
    await client.post("/claims", json=claim_body("sam", "src/b.ts"))
    await client.post("/claims", json=claim_body("kim", "src/c.ts"))
    inbox = (await client.get("/sessions/alex-1/pending_requests")).json()
    notices = {n["other_engineer"]: n for n in inbox["notices"]}
    assert set(notices) == {"sam", "kim"}
    sam = notices["sam"]
    assert sam["kind"] == "auto_conflict" and sam["claim_id"] == claim_id
    assert sam["count"] == 2 and sam["pattern"] == "src/b.ts"
    assert "2 times" in sam["message"]
    since = (clock.now - timedelta(seconds=1)).isoformat()
    recent = await client.get("/sessions/alex-1/pending_requests", params={"since": since})
    assert {n["other_engineer"] for n in recent.json()["notices"]} == {"sam", "kim"}
    clock.advance(seconds=5)
    later = clock.now.isoformat()
    quiet = await client.get("/sessions/alex-1/pending_requests", params={"since": later})
    assert quiet.json()["notices"] == []


async def test_inbox_tells_a_narrowed_holder(client: httpx.AsyncClient) -> None:
    claim_id = await hold(client, "alex", "src/router.ts", session_id="alex-1")
    body = {"engineer": "sam", "claims": [{"pattern": "src/router.ts", "symbols": ["login"]}]}
    granted = (await client.post("/claims", json=body)).json()
    (notice,) = (await client.get("/sessions/alex-1/pending_requests")).json()["notices"]
    assert notice["kind"] == "auto_narrow" and notice["claim_id"] == claim_id
    assert notice["other_claim_id"] == granted["claim_ids"][0]
    assert notice["symbols"] == ["login"] and notice["other_engineer"] == "sam"
    await client.delete(f"/claims/{claim_id}")
    assert (await client.get("/sessions/alex-1/pending_requests")).json()["count"] == 0


async def test_a_claim_that_just_ran_out_cannot_be_asked_for(clocked: Clocked) -> None:
    client, _ctx, clock = clocked
    claim_id = await hold(client, "alex", "src/a.ts", ttl_hours=1)
    clock.advance(hours=1)
    body = {"claim_id": claim_id, "requester": "sam", "reason": "r"}
    answer = await client.post("/requests", json=body)
    assert answer.status_code == 404 and "no longer active" in answer.json()["detail"]


async def test_the_expiry_loop_wakes_for_the_shortened_claim(
    make_settings: Callable[..., Settings],
) -> None:
    # Real clock and the real expiry loop, which sleeps until the 4 h expiry it knows of: the
    # shortened expiry must wake it, or this long-poll would run to its 30 s deadline.
    async with serve(create_app(make_settings(request_ttl_short_sec=0.05))) as client:
        claim_id = await hold(client, "alex", "src/a.ts")
        for _ in range(50):
            await asyncio.sleep(0)  # let the loop go back to sleep on the 4 h deadline first
        body = {"claim_id": claim_id, "requester": "sam", "reason": "r", "wait_seconds": 30}
        answer = await asyncio.wait_for(client.post("/requests", json=body), WAIT_SEC)
        assert answer.json()["state"] == "expired"
        assert (await client.post("/claims", json=claim_body("sam", "src/a.ts"))).status_code == 200
