"""POST /fences/check: trailers judged against the claims' history, and bare paths (SPEC §16)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from server_support import FakeClock, claim_body

from coord_protocol.fences import MAX_FENCE_ENTRIES
from coord_protocol.timestamps import format_utc
from coord_server.context import AppContext

pytestmark = pytest.mark.anyio

REPO = "acme/web"
Clocked = tuple[httpx.AsyncClient, AppContext, FakeClock]


async def _claim(client: httpx.AsyncClient, engineer: str, *patterns: str) -> dict[str, Any]:
    answer = await client.post("/claims", json=claim_body(engineer, *patterns, repo=REPO))
    assert answer.status_code == 200, answer.text
    granted: dict[str, Any] = answer.json()["claims"][0]
    return granted


async def _check(
    client: httpx.AsyncClient, engineer: str, *entries: dict[str, Any], repo: str = REPO
) -> dict[str, Any]:
    body = {"entries": list(entries), "engineer": engineer, "repo": repo}
    answer = await client.post("/fences/check", json=body)
    assert answer.status_code == 200, answer.text
    checked: dict[str, Any] = answer.json()
    return checked


def _trailer(path: str, claim: dict[str, Any]) -> dict[str, Any]:
    return {"path": path, "claim_id": claim["id"], "fence": claim["fence"]}


async def test_a_current_trailer_is_valid(client: httpx.AsyncClient) -> None:
    held = await _claim(client, "alex/claude/main", "src/auth/**")
    answer = await _check(client, "alex", _trailer("src/auth/login.ts", held))
    (verdict,) = answer["verdicts"]
    assert verdict["status"] == "valid" and answer["all_valid"] is True
    assert verdict["yours"] is True and verdict["covers"] is True
    assert verdict["claim"]["id"] == held["id"] and verdict["superseded_by"] == []
    assert answer["engineer"] == "alex" and answer["repo"] == REPO


async def test_a_newer_grant_to_someone_else_supersedes_the_trailer(
    client: httpx.AsyncClient,
) -> None:
    mine = await _claim(client, "alex", "src/a.ts")
    assert (await client.delete(f"/claims/{mine['id']}")).status_code == 200
    theirs = await _claim(client, "sam", "src/**")
    answer = await _check(client, "alex", _trailer("src/a.ts", mine))
    (verdict,) = answer["verdicts"]
    assert verdict["status"] == "superseded" and answer["all_valid"] is False
    (newer,) = verdict["superseded_by"]
    assert newer["id"] == theirs["id"] and newer["engineer"] == "sam"
    assert newer["fence"] == theirs["fence"] > mine["fence"]
    assert f"fence {mine['fence']}" in verdict["detail"]
    assert f"sam has held an overlapping scope since fence {theirs['fence']}" in verdict["detail"]


async def test_newer_grants_that_do_not_fence_the_path_out(client: httpx.AsyncClient) -> None:
    mine = await _claim(client, "alex/claude/a", "src/a.ts")
    await client.delete(f"/claims/{mine['id']}")
    await _claim(client, "alex/claude/b", "src/a.ts")  # the caller's own agent
    await _claim(client, "sam", "src/b.ts")  # another path
    shared = {"engineer": "sam", "repo": REPO,
              "claims": [{"pattern": "src/a.ts", "type": "shared_file"}]}  # fmt: skip
    assert (await client.post("/claims", json=shared)).status_code == 200
    (verdict,) = (await _check(client, "alex", _trailer("src/a.ts", mine)))["verdicts"]
    assert verdict["status"] == "valid", verdict["detail"]


async def test_findings_on_a_trailer(client: httpx.AsyncClient) -> None:
    mine = await _claim(client, "alex", "src/a.ts")
    theirs = await _claim(client, "sam", "docs/x.md")
    entries = [
        _trailer("src/b.ts", mine),
        _trailer("docs/x.md", theirs),
        {"path": "src/a.ts", "claim_id": mine["id"], "fence": mine["fence"] + 100},
        {"path": "src/a.ts", "claim_id": "clm_nothere", "fence": 1},
    ]
    answer = await _check(client, "alex", *entries)
    statuses = [verdict["status"] for verdict in answer["verdicts"]]
    assert statuses == ["not_covered", "not_yours", "fence_mismatch", "unknown_claim"]
    assert answer["verdicts"][0]["covers"] is False
    assert "granted to sam, not alex" in answer["verdicts"][1]["detail"]
    other_repo = await _check(client, "alex", _trailer("src/a.ts", mine), repo="acme/api")
    assert other_repo["verdicts"][0]["status"] == "wrong_repo"


async def test_bare_paths_say_who_covered_them(clocked: Clocked) -> None:
    client, _ctx, clock = clocked
    before = clock.now
    clock.advance(minutes=1)
    mine = await _claim(client, "alex/claude/main", "src/a.ts")
    theirs = await _claim(client, "sam", "src/b.ts")
    answer = await _check(
        client, "alex", {"path": "src/a.ts"}, {"path": "src/b.ts"}, {"path": "src/c.ts"},
        {"path": "src/a.ts", "at": format_utc(before)},
    )  # fmt: skip
    covered, held, free, earlier = answer["verdicts"]
    assert covered["status"] == "covered" and covered["covering"][0]["id"] == mine["id"]
    assert held["status"] == "unclaimed" and held["held_by"][0]["id"] == theirs["id"]
    assert "edited without a claim; held by sam" in held["detail"]
    assert free["status"] == "unclaimed" and free["held_by"] == []
    assert earlier["status"] == "unclaimed" and earlier["covering"] == []
    assert answer["all_valid"] is False


async def test_a_bare_path_after_its_claim_expired_is_unclaimed(clocked: Clocked) -> None:
    client, _ctx, clock = clocked
    body = claim_body("alex", "src/a.ts", repo=REPO, ttl_hours=1)
    assert (await client.post("/claims", json=body)).status_code == 200
    inside = clock.now + timedelta(minutes=30)
    clock.advance(hours=2)
    answer = await _check(
        client, "alex", {"path": "src/a.ts"}, {"path": "src/a.ts", "at": format_utc(inside)}
    )
    assert [v["status"] for v in answer["verdicts"]] == ["unclaimed", "covered"]


@pytest.mark.parametrize(
    ("entries", "said"),
    [
        ([{"path": "src/a.ts"}] * (MAX_FENCE_ENTRIES + 1), "at most 1000"),
        ([], "at least 1"),
        ([{"path": "src/a.ts", "claim_id": "clm_x"}], "claim_id and fence go together"),
        ([{"path": "src/a.ts", "fence": 3}], "claim_id and fence go together"),
        ([{"path": "src/a.ts"}, {"path": "../etc/passwd"}], "entries.1.path"),
        ([{"path": "/abs/a.ts"}], "not a repo-relative path"),
    ],
    ids=["too-many", "empty", "no-fence", "no-claim", "dot-dot", "absolute"],
)
async def test_bad_batches_are_422_naming_the_problem(
    client: httpx.AsyncClient, entries: list[dict[str, Any]], said: str
) -> None:
    answer = await client.post("/fences/check", json={"entries": entries, "engineer": "alex"})
    assert answer.status_code == 422
    assert said in answer.text


async def test_an_engineer_token_checks_its_own_work(client: httpx.AsyncClient) -> None:
    made = await client.post("/admin/tokens", json={"engineer": "alex", "read_only": True})
    token = made.json()["token"]
    held = await _claim(client, "alex/claude/main", "src/a.ts")
    body = {"entries": [_trailer("src/a.ts", held)], "repo": REPO}
    headers = {"Authorization": f"Bearer {token}"}
    answer = await client.post("/fences/check", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["engineer"] == "alex"
    assert answer.json()["verdicts"][0]["status"] == "valid"
    body["engineer"] = "sam"
    refused = await client.post("/fences/check", json=body, headers=headers)
    assert refused.status_code == 403


async def test_a_long_deep_path_is_answered(client: httpx.AsyncClient) -> None:
    await _claim(client, "sam", "**/a*b*c*d/**/x?y*z.ts")
    deep = "/".join(["a" * 40 + "bcd"] * 90)  # 3959 characters
    answer = await _check(client, "alex", {"path": deep})
    assert answer["verdicts"][0]["status"] == "unclaimed"


async def test_paths_that_read_as_globs_are_paths(client: httpx.AsyncClient) -> None:
    held = await _claim(client, "alex", "app/[[]id]/page.tsx")
    answer = await _check(
        client, "alex", {"path": "app/[id]/page.tsx"}, {"path": "app/i/page.tsx"},
        {"path": "#notes/[a.md"}, _trailer("app/[id]/page.tsx", held),
    )  # fmt: skip
    statuses = [verdict["status"] for verdict in answer["verdicts"]]
    assert statuses == ["covered", "unclaimed", "unclaimed", "valid"]
