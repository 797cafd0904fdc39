"""List answers never truncate silently: `total` counts every match, `next_cursor` continues."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from server_support import claim_body

pytestmark = pytest.mark.anyio


async def every_page(
    client: httpx.AsyncClient, path: str, key: str, **params: Any
) -> tuple[list[str], set[int]]:
    """The ids listed over all pages, and the `total` each page reported."""
    ids: list[str] = []
    totals: set[int] = set()
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(path, params=query)).json()
        assert page["count"] == len(page[key]) <= int(params["limit"])
        ids += [row["id"] for row in page[key]]
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, totals


async def test_active_claims_page_by_cursor(client: httpx.AsyncClient) -> None:
    for n in range(7):
        assert (
            await client.post("/claims", json=claim_body("alex", f"f{n}.ts"))
        ).status_code == 200
    ids, totals = await every_page(client, "/claims", "claims", limit=3)
    assert len(ids) == len(set(ids)) == 7 and totals == {7}
    first = (await client.get("/claims", params={"limit": 3})).json()
    # A claim ending between two pages neither repeats a row nor hides one.
    await client.delete(f"/claims/{first['claims'][0]['id']}")
    rest = (
        await client.get("/claims", params={"limit": 10, "cursor": first["next_cursor"]})
    ).json()
    assert [c["id"] for c in rest["claims"]] == ids[3:] and rest["total"] == 6


async def test_history_pages_include_ended_claims(client: httpx.AsyncClient) -> None:
    for n in range(5):
        granted = (await client.post("/claims", json=claim_body("alex", f"h{n}.ts"))).json()
        if n % 2:
            await client.delete(f"/claims/{granted['claim_ids'][0]}")
    ids, totals = await every_page(client, "/claims", "claims", limit=2, active_only="false")
    assert len(set(ids)) == 5 and totals == {5}


async def test_release_requests_page_by_cursor(client: httpx.AsyncClient) -> None:
    for n in range(4):
        held = (await client.post("/claims", json=claim_body("alex", f"r{n}.ts"))).json()
        body = {"claim_id": held["claim_ids"][0], "requester": "sam", "reason": "need it"}
        assert (await client.post("/requests", json=body)).status_code == 201
    ids, totals = await every_page(client, "/requests", "requests", limit=3)
    assert len(set(ids)) == 4 and totals == {4}


async def test_a_cursor_we_did_not_issue_is_a_clear_422(client: httpx.AsyncClient) -> None:
    answer = await client.get("/claims", params={"cursor": "not-a-cursor"})
    assert answer.status_code == 422 and "next_cursor" in answer.json()["detail"]
