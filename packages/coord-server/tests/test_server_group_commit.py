"""PostgreSQL group commit: units of one repo queued behind each other share one transaction.

Sharing must be invisible: every unit's answer still waits for the commit, fences stay unique
and gap-free, and a unit that fails inside a shared transaction takes back only its own work.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, claim_body

from coord_server.context import AppContext
from coord_server.service._batches import Batch
from coord_server.storage import Transaction, _postgres, schema

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

REPO = "acme/web"


@pytest.fixture
def backend() -> str:
    """Only PostgreSQL shares commits (SQLite has one writer and no flush under a lock)."""
    return "postgresql"


async def test_concurrent_claims_of_one_repo_all_commit_with_gap_free_fences(
    client: httpx.AsyncClient,
) -> None:
    async def cycle(n: int) -> int:
        granted = await client.post("/claims", json=claim_body(f"e{n}", f"src/f{n}.ts", repo=REPO))
        assert granted.status_code == 200, granted.text
        released = await client.delete(f"/claims/{granted.json()['claim_ids'][0]}")
        assert released.json()["released"] == 1
        fence: int = granted.json()["claims"][0]["fence"]
        return fence

    fences = await asyncio.gather(*(cycle(n) for n in range(24)))
    assert sorted(fences) == list(range(min(fences), min(fences) + 24))
    history = (await client.get("/claims", params={"active_only": "false", "limit": 100})).json()
    assert history["total"] == 24 and all(c["released_at"] for c in history["claims"])


async def test_a_failing_unit_takes_back_only_its_own_work(
    clocked: tuple[httpx.AsyncClient, AppContext, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ctx, _ = clocked
    started = asyncio.Event()
    undone: list[str] = []
    undo = Batch.undo

    async def recorded(batch: Batch, tx: Transaction, savepoint: str) -> None:
        undone.append(savepoint)
        await undo(batch, tx, savepoint)

    monkeypatch.setattr(Batch, "undo", recorded)

    async def unit(fail: bool) -> int:
        async with ctx.arbiter.hold([REPO]) as held:
            started.set()
            await asyncio.sleep(0)  # let the others queue behind this unit
            fence = held.next_fence(held.view(REPO))
            if fail:
                raise RuntimeError("this unit fails after taking a fence")
        return fence

    first = asyncio.create_task(unit(False))
    await started.wait()
    failing, last = asyncio.create_task(unit(True)), asyncio.create_task(unit(False))
    results = await asyncio.gather(first, failing, last, return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert undone == ["unit_1"]  # it ran inside the first unit's transaction, behind a savepoint
    assert results[2] == results[0] + 1  # the failed unit's fence was given back
    stored = await ctx.store.db.read(
        sa.select(schema.repo_state.c.repo, schema.repo_state.c.last_fence)
    )
    assert {row["repo"]: row["last_fence"] for row in stored}[REPO] == results[2]


async def test_a_failed_notification_does_not_fail_the_committed_change(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = sa.text("SELECT no_such_notify_function(:channel, :payload)")
    monkeypatch.setattr(_postgres, "_NOTIFY", broken)
    granted = await client.post("/claims", json=claim_body("alex", "src/a.ts", repo=REPO))
    assert granted.status_code == 200, granted.text  # the claim is committed: say so
    listed = (await client.get("/claims", params={"repo": REPO})).json()
    assert [claim["id"] for claim in listed["claims"]] == granted.json()["claim_ids"]
