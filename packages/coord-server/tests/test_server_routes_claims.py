"""/claims, release, extend, sessions: status codes, bodies and decisions (SPEC §4, §10)."""

from __future__ import annotations

import json

import httpx
import pytest
from server_support import AUTH, FakeClock, claim_body

from coord_server.context import AppContext

pytestmark = pytest.mark.anyio


async def test_grant_returns_rows_with_increasing_fences(client: httpx.AsyncClient) -> None:
    first = await client.post("/claims", json=claim_body("alex/claude/main", "src/auth/**"))
    second = await client.post("/claims", json=claim_body("sam/codex/main", "docs/**"))
    assert first.status_code == 200
    body = first.json()
    assert set(body) >= {"claim_ids", "conflicts", "warnings", "options", "claims"}
    assert body["conflicts"] == [] and body["options"] == []
    row = body["claims"][0]
    assert row["id"] == body["claim_ids"][0]
    assert row["pattern"] == "src/auth/**" and row["claim_type"] == "file"
    assert row["scope_type"] == "file" and row["narrowable"] is True
    assert row["created_at"].endswith("Z") and row["expires_at"].endswith("Z")
    assert second.json()["claims"][0]["fence"] > row["fence"]


async def test_overlapping_claim_of_another_engineer_is_409(client: httpx.AsyncClient) -> None:
    held = (await client.post("/claims", json=claim_body("alex", "src/auth/**"))).json()
    refused = await client.post("/claims", json=claim_body("sam", "src/auth/login.ts"))
    assert refused.status_code == 409
    body = refused.json()
    assert body["claim_ids"] == [] and body["claims"] == []
    assert body["options"] == ["wait", "narrow_claim", "escalate"]
    (conflict,) = body["conflicts"]
    assert conflict["your_pattern"] == "src/auth/login.ts"
    assert conflict["conflicting_claim"]["id"] == held["claim_ids"][0]
    assert conflict["conflicting_claim"]["engineer"] == "alex"
    assert conflict["overlap"] == ["src/auth/login.ts"]
    assert "alex" in body["next_step"] and "wait_seconds" in body["next_step"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (claim_body("alex", "src/a.ts"), claim_body("alex", "src/a.ts")),
        (claim_body("alex", "a.ts", session_id="s1"),
         claim_body("alex/claude", "a.ts", session_id="s1")),
        (claim_body("alex", "a.ts", repo="acme/web"), claim_body("sam", "a.ts", repo="acme/api")),
        (claim_body("alex", "src/a.ts", repo="acme/web"), claim_body("sam", "src/a.ts")),
        (claim_body("alex", "src/auth/**"), claim_body("sam", "src/auth_v2/x.ts")),
    ],
    ids=["same-engineer", "same-session", "other-repo", "no-repo-bucket", "disjoint"],
)  # fmt: skip
async def test_claims_that_never_conflict(
    client: httpx.AsyncClient, first: dict[str, object], second: dict[str, object]
) -> None:
    assert (await client.post("/claims", json=first)).status_code == 200
    assert (await client.post("/claims", json=second)).status_code == 200


async def test_batch_is_all_or_nothing_and_reports_each_pair_once(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/claims", json=claim_body("alex", "src/a.ts", "src/b.ts"))
    refused = await client.post(
        "/claims", json=claim_body("sam", "src/*.ts", "src/*.ts", "docs/readme.md")
    )
    assert refused.status_code == 409
    pairs = {
        (c["your_pattern"], c["conflicting_claim"]["pattern"]) for c in refused.json()["conflicts"]
    }
    assert pairs == {("src/*.ts", "src/a.ts"), ("src/*.ts", "src/b.ts")}
    assert len(refused.json()["conflicts"]) == 2
    listed = (await client.get("/claims", params={"engineer": "sam"})).json()
    assert listed["count"] == 0


async def test_symbol_claims_coexist_and_cross_reference(client: httpx.AsyncClient) -> None:
    item = {"pattern": "src/router.ts", "symbols": ["Router::handleAuth"]}
    first = (await client.post("/claims", json={"engineer": "alex", "claims": [item]})).json()
    other = {"pattern": "src/router.ts", "symbols": ["Router::handleLogout"]}
    second = await client.post("/claims", json={"engineer": "sam", "claims": [other]})
    assert second.status_code == 200
    assert second.json()["claims"][0]["coexists_with"] == first["claim_ids"]
    listed = (await client.get("/claims", params={"engineer": "alex"})).json()["claims"]
    assert listed[0]["coexists_with"] == second.json()["claim_ids"]
    whole = {"pattern": "src/router.ts", "symbols": ["Router"]}
    blocked = await client.post("/claims", json={"engineer": "kim", "claims": [whole]})
    assert blocked.status_code == 409
    conflicts = blocked.json()["conflicts"]
    assert sorted(c["conflicting_claim"]["symbols"][0] for c in conflicts) == [
        "Router::handleAuth", "Router::handleLogout",
    ]  # fmt: skip
    # Per file, the requester's own symbol paths that collide (what it would drop).
    expected = [{"file": "src/router.ts", "symbols": ["Router"]}]
    assert [c["symbol_overlap"] for c in conflicts] == [expected, expected]


async def test_symbol_overlap_names_only_the_requesters_colliding_symbols_per_file(
    client: httpx.AsyncClient,
) -> None:
    held = {"pattern": "src/router.ts", "symbols": ["Router::handleAuth"]}
    await client.post("/claims", json={"engineer": "alex", "claims": [held]})
    mine = {"pattern": "src/router.ts", "symbols": ["Router::handleAuth::inner", "boot"]}
    blocked = await client.post("/claims", json={"engineer": "sam", "claims": [mine]})
    assert blocked.status_code == 409
    (conflict,) = blocked.json()["conflicts"]
    assert conflict["symbol_overlap"] == [
        {"file": "src/router.ts", "symbols": ["Router::handleAuth::inner"]}
    ]
    whole = await client.post("/claims", json=claim_body("kim", "src/router.ts"))
    (against_file,) = whole.json()["conflicts"]
    assert against_file["symbol_overlap"] is None  # kim named no symbols: nothing to drop
    checked = await client.post(
        "/conflicts/batch",
        json={
            "patterns": ["src/router.ts"],
            "engineer": "sam",
            "symbols": ["src/router.ts#Router"],
        },
    )
    assert checked.json()["conflicts"][0]["symbol_overlap"] == [
        {"file": "src/router.ts", "symbols": ["Router"]}
    ]


async def test_symbol_claim_auto_narrows_a_file_claim(client: httpx.AsyncClient) -> None:
    holder = (await client.post("/claims", json=claim_body("alex", "src/app.ts"))).json()
    item = {"pattern": "src/app.ts", "symbols": ["boot"]}
    granted = await client.post("/claims", json={"engineer": "sam", "claims": [item]})
    assert granted.status_code == 200
    assert granted.json()["claims"][0]["coexists_with"] == holder["claim_ids"]
    assert granted.json()["notices"], "the claimant is told whose file claim was narrowed"
    module = await client.post(
        "/claims", json={"engineer": "kim", "claims": [{"type": "module", "pattern": "lib/**"}]}
    )
    assert module.status_code == 200
    into_module = {"pattern": "lib/x.ts", "symbols": ["f"]}
    refused = await client.post("/claims", json={"engineer": "sam", "claims": [into_module]})
    assert refused.status_code == 409


async def test_shared_file_claims_never_conflict(client: httpx.AsyncClient) -> None:
    shared = {"type": "shared_file", "pattern": "package-lock.json"}
    assert (
        await client.post("/claims", json={"engineer": "alex", "claims": [shared]})
    ).status_code == 200
    exclusive = await client.post("/claims", json=claim_body("sam", "package-lock.json"))
    assert exclusive.status_code == 200
    second_shared = await client.post("/claims", json={"engineer": "kim", "claims": [shared]})
    assert second_shared.status_code == 200
    assert any("alex" in notice for notice in second_shared.json()["notices"])


@pytest.mark.parametrize(
    ("pattern", "rule"),
    [("", "empty"), ("   ", "empty"), ("!src/a.ts", "negation"), ("src/../etc", "dotdot"),
     ("src/[ab.ts", "unterminated_class"), ("a" * 1025, "too_long")],
)  # fmt: skip
async def test_invalid_patterns_are_400_naming_the_rule(
    client: httpx.AsyncClient, pattern: str, rule: str
) -> None:
    answer = await client.post("/claims", json=claim_body("alex", pattern))
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_pattern"
    assert answer.json()["rule"] == rule
    assert pattern.strip()[:20] in answer.json()["detail"] or rule == "empty"


@pytest.mark.parametrize(
    ("route", "pattern", "what"),
    [("/claims", "x/*a" + "?" * 14, "15 wildcards in one segment"),
     ("/conflicts/batch", "/".join(["*?*?"] * 5), "20 wildcards"),
     ("/claims", "x/" + "a" * 300 + "*", "a glob of 303 characters")],
)  # fmt: skip
async def test_too_complex_patterns_are_400_naming_what_and_the_limit(
    client: httpx.AsyncClient, route: str, pattern: str, what: str
) -> None:
    body = (
        claim_body("alex", pattern)
        if route == "/claims"
        else {"engineer": "alex", "patterns": [pattern]}
    )
    answer = await client.post(route, json=body)
    assert answer.status_code == 400
    error = answer.json()
    assert (error["code"], error["pattern"], error["what"]) == (
        "pattern_too_complex",
        pattern,
        what,
    )
    assert error["limit"] > 0 and f"limit of {error['limit']}" in error["detail"]


async def test_an_engineer_sending_new_costly_globs_is_slowed_down_with_429(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock],
) -> None:
    client, _, _ = clocked  # the clock stands still, so the bucket never refills here
    held = await client.post("/claims", json=claim_body("sam", "w/*" + "a" * 180))
    assert held.status_code == 200
    statuses = []
    for index in range(80):  # each new glob runs its overlap with sam's into the budget
        answer = await client.post("/claims", json=claim_body("kim", f"w/*{'a' * 180}{index:04d}"))
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[0] == 400 and statuses[-1] == 429, statuses
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.json()["code"] == "rate_limited"
    other = await client.post("/claims", json=claim_body("alex", "elsewhere/a.ts"))
    assert other.status_code == 200  # the bucket is kim's alone


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"engineer": "a", "claims": [{"pattern": "x"}], "ttl_hours": 0}, ["body", "ttl_hours"]),
        ({"engineer": "a", "claims": [{"pattern": "x"}], "ttl_hours": 169}, ["body", "ttl_hours"]),
        ({"engineer": "a", "claims": [{"pattern": "x"}], "urgency": "asap"}, ["body", "urgency"]),
        (
            {"engineer": "a", "claims": [{"pattern": "x"}], "wait_seconds": 601},
            ["body", "wait_seconds"],
        ),
        (
            {"engineer": "a", "claims": [{"pattern": "x", "colour": 1}]},
            ["body", "claims", 0, "colour"],
        ),
        ({"engineer": "a", "claims": []}, ["body", "claims"]),
        (
            {"engineer": "a", "claims": [{"pattern": "x", "type": "folder"}]},
            ["body", "claims", 0, "type"],
        ),
    ],
    ids=["ttl-zero", "ttl-too-long", "urgency", "wait", "unknown-field", "no-items", "type"],
)
async def test_schema_violations_are_422_with_locations(
    client: httpx.AsyncClient, body: dict[str, object], location: list[object]
) -> None:
    answer = await client.post("/claims", json=body)
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"
    assert location in [error["loc"] for error in answer.json()["errors"]]


async def test_missing_engineer_and_non_json_bodies(client: httpx.AsyncClient) -> None:
    missing = await client.post("/claims", json={"claims": [{"pattern": "x"}]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["body", "engineer"]
    not_json = await client.post(
        "/claims", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == "bad_request"
    empty = await client.post("/claims", content=b"")
    assert empty.status_code == 400


async def test_list_filters(client: httpx.AsyncClient) -> None:
    await client.post(
        "/claims", json=claim_body("alex", "src/auth/a.ts", repo="acme/web", session_id="s-1")
    )
    await client.post("/claims", json=claim_body("sam", "lib/x.py", repo="acme/api"))
    everything = (await client.get("/claims")).json()
    assert everything["count"] == 2
    assert (await client.get("/claims", params={"engineer": "sam"})).json()["count"] == 1
    assert (await client.get("/claims", params={"module": "auth"})).json()["count"] == 1
    assert (await client.get("/claims", params={"repo": "acme/api"})).json()["count"] == 1
    by_session = (await client.get("/claims", params={"session_id": "s-1"})).json()
    assert [c["engineer"] for c in by_session["claims"]] == ["alex"]
    bad = await client.get("/claims", params={"active_only": "maybe"})
    assert bad.status_code == 422


async def test_release_one_and_many(client: httpx.AsyncClient) -> None:
    ids = (await client.post("/claims", json=claim_body("alex", "a.ts", "b.ts", "c.ts"))).json()[
        "claim_ids"
    ]
    wrong_holder = await client.delete(f"/claims/{ids[0]}", params={"engineer": "sam"})
    assert wrong_holder.status_code == 403 and wrong_holder.json()["code"] == "forbidden"
    assert "'alex'" in wrong_holder.json()["detail"]  # names the owner
    not_all = await client.post("/claims/release", json={"claim_ids": ids, "engineer": "sam"})
    assert not_all.status_code == 403  # nothing released: all three are still active
    assert (await client.get("/claims", params={"engineer": "alex"})).json()["count"] == 3
    released = await client.delete(f"/claims/{ids[0]}", params={"engineer": "alex"})
    assert released.json() == {"released": 1, "claim_ids": [ids[0]]}
    again = await client.delete(f"/claims/{ids[0]}")
    assert again.status_code == 200 and again.json()["released"] == 0
    unknown = await client.delete("/claims/clm_nope")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    many = await client.post("/claims/release", json={"claim_ids": ids[1:], "engineer": "alex"})
    assert many.json()["released"] == 2
    history = (await client.get("/claims", params={"active_only": "false"})).json()
    assert {c["released_at"] is not None for c in history["claims"]} == {True}


async def test_extend_sets_new_expiry_and_checks_holder(client: httpx.AsyncClient) -> None:
    granted = (await client.post("/claims", json=claim_body("alex", "a.ts", ttl_hours=1))).json()
    claim_id = granted["claim_ids"][0]
    extended = await client.post(
        f"/claims/{claim_id}/extend", json={"engineer": "alex", "ttl_hours": 8}
    )
    assert extended.status_code == 200
    assert extended.json()["claim"]["expires_at"] > granted["claims"][0]["expires_at"]
    not_owner = await client.post(
        f"/claims/{claim_id}/extend", json={"engineer": "sam", "ttl_hours": 2}
    )
    assert not_owner.status_code == 403 and "'alex'" in not_owner.json()["detail"]
    out_of_range = await client.post(
        f"/claims/{claim_id}/extend", json={"engineer": "alex", "ttl_hours": 500}
    )
    assert out_of_range.status_code == 422


async def test_session_release_leaves_session_usable(client: httpx.AsyncClient) -> None:
    body = claim_body("alex", "a.ts", "b.ts", session_id="sess-1")
    await client.post("/claims", json=body)
    await client.post("/claims", json=claim_body("alex", "c.ts", session_id="sess-2"))
    released = await client.post("/sessions/sess-1/release")
    assert released.json()["released"] == 2
    assert (await client.get("/claims")).json()["count"] == 1
    again = await client.post("/claims", json=body)
    assert again.status_code == 200
    bad = await client.post("/sessions/" + "x" * 129 + "/release")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_session"


async def test_idempotency_key_replays_first_answer(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    body = claim_body("alex", "a.ts")
    first = await client.post("/claims", json=body, headers=headers)
    retry = await client.post("/claims", json=body, headers=headers)
    assert retry.status_code == 200 and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert (await client.get("/claims")).json()["count"] == 1
    misuse = await client.post("/claims", json=claim_body("alex", "b.ts"), headers=headers)
    assert misuse.status_code == 422 and misuse.json()["code"] == "idempotency_mismatch"


async def test_headers_request_id_and_queue_depth(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/claims", json=claim_body("alex", "a.ts"), headers={"X-Request-ID": "abc-1"}
    )
    assert answer.headers["X-Request-ID"] == "abc-1"
    assert answer.headers["X-Coord-Queue-Depth"] == "0"
    generated = await client.get("/claims")
    assert len(generated.headers["X-Request-ID"]) == 32
    assert "X-Coord-Queue-Depth" not in generated.headers


async def test_unauthenticated_requests_are_401(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/claims", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    wrong = await client.get("/claims", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "invalid bearer token" in wrong.json()["detail"]
    assert AUTH["Authorization"].startswith("Bearer ")


async def test_openapi_describes_symbol_overlap_entries(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    described = json.dumps(schemas["Conflict"]["properties"]["symbol_overlap"])
    assert "SymbolOverlap" in described
    assert set(schemas["SymbolOverlap"]["required"]) == {"file", "symbols"}
