"""Sessions belong to the principal that first used them (SPEC §13): nobody else may borrow one,
and only its owner gets the same-session exemption from conflicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from server_support import claim_body, serve

from coord_server.app import create_app
from coord_server.settings import Settings

pytestmark = pytest.mark.anyio


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def engineer_token(client: httpx.AsyncClient, engineer: str) -> dict[str, str]:
    made = await client.post("/admin/tokens", json={"engineer": engineer})
    assert made.status_code == 201
    return bearer(made.json()["token"])


async def claim(
    client: httpx.AsyncClient, headers: dict[str, str], engineer: str | None, **extra: Any
) -> httpx.Response:
    body = claim_body(engineer or "unused", "src/a.ts", session_id="victim-session", **extra)
    if engineer is None:
        del body["engineer"]
    return await client.post("/claims", json=body, headers=headers)


async def test_a_borrowed_session_is_refused_and_grants_nothing(client: httpx.AsyncClient) -> None:
    victim = await engineer_token(client, "vic")
    mallory = await engineer_token(client, "mallory")
    assert (await claim(client, victim, None)).status_code == 200
    borrowed = await claim(client, mallory, None)
    assert borrowed.status_code == 403 and borrowed.json()["code"] == "forbidden"
    assert "'vic'" in borrowed.json()["detail"]
    listed = (await client.get("/claims", params={"engineer": "mallory"})).json()
    assert listed["count"] == 0
    # With the one operator token too: a request naming mallory acts as mallory.
    named = await claim(client, {}, "mallory")
    assert named.status_code == 403
    inbox = await client.get("/sessions/victim-session/pending_requests", headers=mallory)
    assert inbox.status_code == 403
    release = await client.post(
        "/sessions/victim-session/release", headers={**mallory, "Content-Type": "application/json"}
    )
    assert release.status_code == 403
    assert (await client.get("/claims", params={"engineer": "vic"})).json()["count"] == 1


async def test_the_owner_still_coexists_with_its_own_session(client: httpx.AsyncClient) -> None:
    victim = await engineer_token(client, "vic")
    assert (await claim(client, victim, "vic/claude")).status_code == 200
    again = await claim(client, victim, "vic/cursor")
    assert again.status_code == 200
    assert (await client.get("/claims", params={"repo": ""})).json()["count"] == 2


async def test_session_owners_survive_a_restart(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    async with serve(create_app(settings)) as client:
        victim = await engineer_token(client, "vic")
        mallory = await engineer_token(client, "mallory")
        assert (await claim(client, victim, None)).status_code == 200
    async with serve(create_app(settings)) as client:
        assert (await claim(client, mallory, None)).status_code == 403
        assert (await claim(client, victim, None)).status_code == 200
