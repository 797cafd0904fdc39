"""Service routes: health, readiness, meta, metrics, whoami, repos, OpenAPI (SPEC §10)."""

from __future__ import annotations

import httpx
import pytest
from server_support import claim_body

pytestmark = pytest.mark.anyio


async def test_public_routes_need_no_token(client: httpx.AsyncClient) -> None:
    anonymous = {"Authorization": ""}
    health = await client.get("/health", headers=anonymous)
    assert health.status_code == 200 and health.text == "ok"
    ready = await client.get("/readyz", headers=anonymous)
    assert ready.json() == {"status": "ready", "version": "0.1.0", "auth_mode": "token"}
    meta = (await client.get("/meta", headers=anonymous)).json()
    assert meta["database"] in {"sqlite", "postgresql"} and meta["repo_root_configured"] is False
    assert (await client.get("/metrics", headers=anonymous)).status_code == 200
    assert (await client.get("/whoami", headers=anonymous)).status_code == 401


async def test_readyz_is_503_while_the_database_is_gone(client: httpx.AsyncClient) -> None:
    ctx = client._transport.app.state.coord  # type: ignore[attr-defined]
    original = ctx.store.db.ping

    async def broken() -> None:
        raise OSError("the database went away")

    ctx.store.db.ping = broken
    try:
        answer = await client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["status"] == "unavailable"
    finally:
        ctx.store.db.ping = original


async def test_metrics_count_claims_conflicts_and_requests(client: httpx.AsyncClient) -> None:
    await client.post("/claims", json=claim_body("alex", "a.ts"))
    await client.post("/claims", json=claim_body("sam", "a.ts"))
    text = (await client.get("/metrics")).text
    assert "coord_claims_created_total 1.0" in text
    assert "coord_conflicts_total 1.0" in text
    assert "coord_active_claims 1.0" in text
    assert 'coord_http_requests_total{method="POST",route="/claims",status="409"} 1.0' in text
    assert 'coord_http_request_duration_seconds_bucket{le="0.001",route="/claims"}' in text


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    answer = await client.get("/nope")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    wrong_method = await client.put("/claims")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"


async def test_whoami_and_repos(client: httpx.AsyncClient) -> None:
    assert (await client.get("/whoami")).json()["principal"] == "operator"
    await client.post("/claims", json=claim_body("alex", "a.ts", "b.ts", repo="acme/web"))
    await client.post("/claims", json=claim_body("sam", "c.ts"))
    repos = (await client.get("/repos")).json()
    assert repos["count"] == 2
    first = repos["repos"][0]
    assert first["repo"] == "acme/web" and first["active_claims"] == 2 and first["engineers"] == 1
    assert first["last_activity"].endswith("Z")


async def test_openapi_describes_every_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    app = client._transport.app  # type: ignore[attr-defined]
    served = {(method, route.path) for route in app.routes for method in route.methods - {"HEAD"}}
    described = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    assert served == described
    schemas = document["components"]["schemas"]
    assert "engineer" in schemas["CreateClaimsRequest"]["properties"]
    assert schemas["CreateClaimsRequest"]["properties"]["wait_seconds"]["description"]
