"""Hostile patterns against the real `coord-api` process: bounded work, clear refusals.

Each shape that used to stall the service (an exponential inclusion, a quadratic overlap
product, a backtracking match against tracked files) is sent to a real server, with and
without a checkout. Every answer must be one of 200/400/409/422/429, a refusal must name the
pattern, what was too large and the limit, and `/readyz` must keep answering in between.
The engine's work counters are asserted on in the engine's own tests; here the server is
checked to turn an over-budget check into `pattern_too_complex`, never a 5xx.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from coord_e2e import CoordApi, CoordApiFactory, git_repo_maker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coord_engine.patterns import MAX_SEGMENT_WILDCARDS, PatternError, normalize_pattern

pytestmark = pytest.mark.slow

ALLOWED = {200, 400, 409, 422, 429}
LONG_PATH = "d/" + "e" * 40 + "/" + "f" * 40  # 84 characters
A_RUN = "x/" + "a" * 200

HOSTILE_PATTERNS = [
    "x/*a" + "?" * 14,  # exponential inclusion
    "x/*aa" + "?" * 13,
    "x/" + "*?" * 200 + "a",  # quadratic overlap product
    "x/" + "*?" * 200 + "b",
    "*?" * 8 + "Q",  # backtracking match against one 84-character path
    "x/*a*a*a*a*b",  # backtracking match against x/ + 200 a's
    "x/*" + "a" * 250,  # the longest floating literal a glob may hold
    "/".join(["*?*?*?*?"] * 2),  # the most wildcards a pattern may hold
    "/".join(["**/a"] * 20),
    "[!a]" * 8 + "/" + "[!a]" * 8,
]


@pytest.fixture(scope="module", params=["no checkout", "checkout"])
def server(
    request: pytest.FixtureRequest,
    module_coord_api_factory: CoordApiFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> CoordApi:
    repo_root = _checkout(tmp_path_factory) if request.param == "checkout" else None
    return module_coord_api_factory.start(repo_root=repo_root)


def _checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    make = git_repo_maker(tmp_path_factory)
    root: Path = make([LONG_PATH, A_RUN, "x/ab", "src/a.ts", "src/b.py", "docs/readme.md"])
    return root


def _claim(pattern: str, engineer: str = "hostile/bot/main", **fields: Any) -> dict[str, Any]:
    return {"engineer": engineer, "claims": [{"pattern": pattern}], **fields}


def _check(response: httpx.Response) -> httpx.Response:
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    if response.status_code == 400 and response.json()["code"] == "pattern_too_complex":
        body = response.json()
        assert body["pattern"] and body["what"] and body["limit"] > 0, body
        assert "limit" in body["detail"] and "too complex" in body["detail"]
    return response


def _ready(http: httpx.Client) -> None:
    assert http.get("/readyz").status_code == 200


def test_each_hostile_pattern_is_answered_at_every_door(server: CoordApi) -> None:
    with server.client(timeout=30) as http:
        for pattern in HOSTILE_PATTERNS:
            _check(http.post("/claims", json=_claim(pattern)))
            _check(http.get("/conflicts", params={"pattern": pattern, "engineer": "other/b/x"}))
            _check(http.post("/conflicts/batch", json={"patterns": [pattern], "engineer": "o/b/x"}))
            _check(http.post("/claims", json=_claim(pattern, "waiter/bot/main", wait_seconds=1)))
            _ready(http)
        batch = {"patterns": HOSTILE_PATTERNS * 20, "engineer": "batch/bot/main"}
        _check(http.post("/conflicts/batch", json=batch))
        _ready(http)
        _release_all(http)


def test_refused_patterns_name_the_rule_and_the_limit(server: CoordApi) -> None:
    with server.client() as http:
        answer = http.post("/claims", json=_claim("x/*a" + "?" * 14))
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "pattern_too_complex"
    assert body["pattern"] == "x/*a" + "?" * 14
    assert body["what"] == "15 wildcards in one segment"
    assert body["limit"] == MAX_SEGMENT_WILDCARDS


def test_a_narrowed_answer_over_the_inclusion_budget_is_refused(server: CoordApi) -> None:
    outer, inner = "q/*a" + "?" * 7, "q/*a" + "?" * 6 + "a"
    with server.client() as http:
        held = http.post("/claims", json=_claim(outer, "holder/bot/main"))
        assert held.status_code == 200, held.text
        claim_id = held.json()["claim_ids"][0]
        asked = http.post(
            "/requests",
            json={"claim_id": claim_id, "requester": "asker/bot/main", "reason": "need it"},
        )
        assert asked.status_code in (200, 201), asked.text
        answer = http.post(
            f"/requests/{asked.json()['id']}/respond",
            json={"decision": "narrowed", "engineer": "holder/bot/main", "narrowed_pattern": inner},
        )
        assert answer.status_code == 400, answer.text
        body = answer.json()
        assert body["code"] == "pattern_too_complex"
        assert body["pattern"] == inner and "inclusion search" in body["what"]
        _ready(http)
        _release_all(http)


def test_an_overlap_over_budget_between_two_claims_is_refused_not_stalled(server: CoordApi) -> None:
    glob = "y/*" + "a" * 200
    with server.client() as http:
        first = http.post("/claims", json=_claim(glob, "first/bot/main"))
        assert first.status_code == 200, first.text
        second = http.post("/claims", json=_claim(glob + "b", "second/bot/main"))
        assert second.status_code == 400, second.text
        assert second.json()["code"] == "pattern_too_complex"
        assert "overlap search" in second.json()["what"]
        _ready(http)
        _release_all(http)


def _admits(raw: str) -> bool:
    try:
        normalize_pattern(raw)
    except PatternError:
        return False
    return True


_TOKENS = ["a", "x", ".ts", "*", "?", "[ab]", "[!a]", "**"]
admitted = (
    st.lists(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=5).map("".join), max_size=4)
    .map(lambda segments: "/".join(["x", *segments]))
    .filter(_admits)
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(st.lists(admitted, min_size=1, max_size=4))
def test_generated_admitted_patterns_get_ordinary_answers(
    server: CoordApi, patterns: list[str]
) -> None:
    with server.client() as http:
        for index, pattern in enumerate(patterns):
            _check(http.post("/claims", json=_claim(pattern, f"gen{index}/bot/main")))
        _check(http.post("/conflicts/batch", json={"patterns": patterns, "engineer": "g/b/x"}))
        _ready(http)
        _release_all(http)


def test_the_server_answered_no_5xx_and_logged_no_traceback(server: CoordApi) -> None:
    with server.client() as http:
        metrics = http.get("/metrics").text
        _ready(http)
    assert not re.search(r'status="5\d\d"', metrics), "a request was answered with a 5xx"
    assert "Traceback" not in server.stderr_text()
    assert server.is_running()


def _release_all(http: httpx.Client) -> None:
    """Release every active claim so the next test starts from an empty table."""
    listing = http.get("/claims")
    assert listing.status_code == 200, listing.text
    by_engineer: dict[str, list[str]] = {}
    for claim in listing.json()["claims"]:
        by_engineer.setdefault(claim["engineer"], []).append(claim["id"])
    for engineer, claim_ids in by_engineer.items():
        released = http.post("/claims/release", json={"engineer": engineer, "claim_ids": claim_ids})
        assert released.status_code == 200, released.text
