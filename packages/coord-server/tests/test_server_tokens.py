"""Per-engineer tokens and the request gate (SPEC §13): made, used, rotated, revoked, expired;
only hashes stored; read-only tokens and browser-sendable bodies refused."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from server_support import FakeClock, claim_body

from coord_server.context import AppContext
from coord_server.storage import schema

pytestmark = pytest.mark.anyio

Clocked = tuple[httpx.AsyncClient, AppContext, FakeClock]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_token(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    answer = await client.post("/admin/tokens", json={"engineer": "alex", **body})
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    created: dict[str, object] = answer.json()
    return created


async def test_a_token_proves_its_engineer_and_only_its_hash_is_stored(
    clocked: Clocked,
) -> None:
    client, ctx, _ = clocked
    created = await make_token(client, repo="acme/web")
    secret = str(created["token"])
    assert secret.startswith("coord_pat_") and len(secret) >= 10 + 43
    me = (await client.get("/whoami", headers=bearer(secret))).json()
    assert me["principal"] == "engineer" and me["engineer"] == "alex"
    assert me["repo"] == "acme/web" and me["token_id"] == created["id"]
    rows = await ctx.store.db.read(sa.select(schema.api_tokens))
    assert len(rows) == 1 and secret not in {str(value) for value in rows[0].values()}
    listing = (await client.get("/admin/tokens")).json()
    assert listing["count"] == 1 and "token" not in listing["tokens"][0]
    assert listing["tokens"][0]["state"] == "active"


async def test_rotation_and_revocation_take_effect_on_the_next_request(
    clocked: Clocked,
) -> None:
    client, _, _ = clocked
    created = await make_token(client)
    old = str(created["token"])
    rotated = (await client.post(f"/admin/tokens/{created['id']}/rotate")).json()
    assert rotated["id"] == created["id"] and rotated["token"] != old
    assert (await client.get("/whoami", headers=bearer(old))).status_code == 401
    assert (await client.get("/whoami", headers=bearer(rotated["token"]))).status_code == 200
    revoked = (await client.delete(f"/admin/tokens/{created['id']}")).json()
    assert revoked == {"id": created["id"], "revoked": True}
    refused = await client.get("/whoami", headers=bearer(rotated["token"]))
    assert refused.status_code == 401 and rotated["token"] not in refused.text


async def test_an_expired_token_is_refused(clocked: Clocked) -> None:
    client, _, clock = clocked
    created = await make_token(client, expires_in_seconds=3600)
    secret = str(created["token"])
    assert (await client.get("/whoami", headers=bearer(secret))).status_code == 200
    clock.advance(hours=1, seconds=1)
    assert (await client.get("/whoami", headers=bearer(secret))).status_code == 401
    tokens = (await client.get("/admin/tokens")).json()["tokens"]
    assert tokens[0]["state"] == "expired"


async def test_engineer_tokens_cannot_manage_tokens(clocked: Clocked) -> None:
    client, _, _ = clocked
    secret = str((await make_token(client))["token"])
    answer = await client.post("/admin/tokens", json={"engineer": "bob"}, headers=bearer(secret))
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert (await client.get("/admin/tokens")).json()["count"] == 1


async def test_a_read_only_token_can_read_but_not_claim(clocked: Clocked) -> None:
    client, _, _ = clocked
    secret = str((await make_token(client, read_only=True))["token"])
    refused = await client.post("/claims", json=claim_body("alex", "a.ts"), headers=bearer(secret))
    assert refused.status_code == 403 and "read" in refused.json()["detail"]
    assert (await client.get("/claims", headers=bearer(secret))).json()["count"] == 0
    check = await client.post(
        "/conflicts/batch", json={"engineer": "alex", "patterns": ["a.ts"]}, headers=bearer(secret)
    )
    assert check.status_code == 200


async def test_a_form_or_text_body_cannot_change_state(clocked: Clocked) -> None:
    client, _, _ = clocked
    for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        answer = await client.post(
            "/claims", content=b'{"engineer": "x", "patterns": ["a.ts"]}',
            headers={"Content-Type": media},
        )  # fmt: skip
        assert answer.status_code == 415, media
        assert answer.json()["code"] == "unsupported_media_type"
    assert (await client.get("/claims")).json()["count"] == 0
