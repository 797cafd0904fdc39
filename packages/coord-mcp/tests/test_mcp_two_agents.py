"""Two agents, two `coord-mcp` processes, one git checkout, one real `coord-api`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from coord_e2e import CoordApi

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

LOGIN = """\
def handle_login(request):
    return request


def handle_logout(request):
    return None


class Session:
    def refresh(self):
        pass
"""

REPO = "e2e/two-agents"


@pytest.fixture
def checkout(git_repo) -> Path:  # type: ignore[no-untyped-def]
    root: Path = git_repo({"src/auth/login.py": LOGIN, "src/auth/tokens.py": "SECRET = 1\n"})
    return root


def env_for(service: CoordApi, session: str) -> dict[str, str]:
    return service.client_env(COORD_REPO_ID=REPO, COORD_SESSION_ID=session)


async def waiting_entry(http: httpx.AsyncClient, engineer: str) -> dict[str, Any]:
    """The queue entry of `engineer`, once it waits (polled: it lives in another process)."""
    with anyio.fail_after(20):
        while True:
            params = {"queued": "true", "repo": REPO, "engineer": engineer}
            entries: list[dict[str, Any]] = (await http.get("/requests", params=params)).json()[
                "requests"
            ]
            if entries:
                return entries[0]
            await anyio.sleep(0.02)


async def test_b_waits_for_a_and_is_granted_on_release(  # type: ignore[no-untyped-def]
    coord_service, agent, checkout: Path
) -> None:
    async with (
        coord_service.async_client() as http,
        agent(env_for(coord_service, "agent-a"), checkout) as a,
        agent(env_for(coord_service, "agent-b"), checkout / "src") as b,
    ):
        granted = await a.call("claim_files", engineer="alice/claude/a", patterns=["src/auth/**"])
        assert granted["ok"], granted
        a_claim = granted["claim_ids"][0]
        assert granted["claims"][0]["branch"] == "main"  # from git

        refused = await b.call(
            "claim_files", engineer="bob/codex/b", patterns=["src/auth/login.py"]
        )
        assert refused["ok"] is False
        assert refused["refusal"]["code"] == "conflict"
        (blocker,) = refused["refusal"]["blockers"]
        assert blocker["conflicting_claim"]["engineer"] == "alice/claude/a"
        assert blocker["conflicting_claim"]["id"] == a_claim
        assert blocker["conflicting_claim"]["expires_at"]
        assert "wait_seconds=" in refused["next_step"]
        assert f"request_release(claim_id='{a_claim}'" in refused["next_step"]

        outcome: dict[str, Any] = {}
        granted_at: list[float] = []

        async def b_waits() -> None:
            outcome.update(await b.call(
                "claim_files", engineer="bob/codex/b", patterns=["src/auth/login.py"],
                wait_seconds=60,
            ))  # fmt: skip
            granted_at.append(time.perf_counter())

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(b_waits)
            entry = await waiting_entry(http, "bob/codex/b")
            assert entry["blocking_engineer"] == "alice/claude/a"
            released_at = time.perf_counter()
            released = await a.call("release_claims", claim_ids=[a_claim])
            assert released["released"] == 1
        delay_ms = (granted_at[0] - released_at) * 1000
        print(f"B granted {delay_ms:.1f} ms after A's release_claims call started")
        assert outcome["ok"], outcome
        assert outcome["queue_id"] == entry["queue_id"]
        held = (await http.get("/claims", params={"repo": REPO})).json()["claims"]
        assert [(claim["engineer"], claim["pattern"]) for claim in held] == [
            ("bob/codex/b", "src/auth/login.py")
        ]
        assert (await b.call("release_session"))["released"] == 1


async def test_disjoint_symbols_of_one_file_coexist(  # type: ignore[no-untyped-def]
    coord_service, agent, checkout: Path
) -> None:
    path = "src/auth/login.py"
    async with (
        coord_service.async_client() as http,
        agent(env_for(coord_service, "sym-a"), checkout) as a,
        agent(env_for(coord_service, "sym-b"), checkout) as b,
    ):
        first = await a.call(
            "claim_files", engineer="alice", patterns=[path], symbols={path: ["handle_login"]}
        )
        second = await b.call(
            "claim_files", engineer="bob", patterns=[path], symbols={path: ["handle_logout"]}
        )
        assert first["ok"] and second["ok"], (first, second)
        held = (await http.get("/claims", params={"repo": REPO})).json()["claims"]
        assert sorted((c["engineer"], tuple(c["symbols"])) for c in held) == [
            ("alice", ("handle_login",)),
            ("bob", ("handle_logout",)),
        ]

        clash = await b.call(
            "claim_files", engineer="bob", patterns=[path], symbols={path: ["handle_login"]}
        )
        assert clash["refusal"]["code"] == "conflict"
        assert clash["refusal"]["blockers"][0]["conflicting_claim"]["engineer"] == "alice"
        assert clash["claim_ids"] == []
        (conflict,) = clash["conflicts"]
        assert conflict["symbol_overlap"] == [{"file": path, "symbols": ["handle_login"]}]
        asked = await b.call(
            "check_conflicts", engineer="bob", files=[path], symbols={path: ["handle_login"]}
        )
        assert (asked["has_conflicts"], asked["safe"]) == (True, False)
        assert asked["conflicts"][0]["symbol_overlap"] == conflict["symbol_overlap"]

        typo = await b.call(
            "claim_files", engineer="bob", patterns=[path], symbols={path: ["Session::refersh"]}
        )
        assert typo["refusal"]["code"] == "invalid_symbol"
        assert typo["refusal"]["known_symbols"][path][0] == "Session::refresh"
        for side in (a, b):
            await side.call("release_session")


async def test_a_negotiation_or_a_clear_unsupported_refusal(  # type: ignore[no-untyped-def]
    coord_service, agent, checkout: Path
) -> None:
    async with (
        agent({**env_for(coord_service, "neg-a"), "COORD_USER": "alice"}, checkout) as a,
        agent({**env_for(coord_service, "neg-b"), "COORD_USER": "bob"}, checkout) as b,
    ):
        held = await a.call("claim_files", engineer="alice", patterns=["src/auth/tokens.py"])
        claim_id = held["claim_ids"][0]
        filed = await b.call("request_release", claim_id=claim_id, reason="rotating the secret")
        if not filed["ok"] and filed["refusal"]["code"] == "unsupported":
            # The service predates release requests: every negotiation tool says so plainly.
            for tool, arguments in (
                ("pending_requests", {}),
                ("respond_to_request", {"request_id": "req_x", "decision": "approved"}),
                ("wait_for_request", {"request_id": "req_x", "timeout": 1}),
                ("my_requests", {}),
            ):
                answer = await a.call(tool, **arguments)
                assert answer["refusal"]["code"] == "unsupported", (tool, answer)
            await a.call("release_session")
            return
        assert filed["ok"], filed
        request_id = filed["id"]
        inbox = await a.call("pending_requests")
        assert request_id in [request["id"] for request in inbox["requests"]]
        answered = await a.call("respond_to_request", request_id=request_id, decision="approved")
        assert answered["ok"], answered
        decided = await b.call("wait_for_request", request_id=request_id, timeout=10)
        assert decided["decision"] == "approved"
        for side in (a, b):
            await side.call("release_session")
