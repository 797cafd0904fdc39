"""Symbol claims against a real checkout: validation, coexistence, blocking (SPEC §5)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from server_support import make_git_repo, serve

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.app import create_app
from coord_server.repo.symbols import SymbolValidator
from coord_server.settings import Settings

pytestmark = pytest.mark.anyio

ROUTER_TS = """\
export class Router {
  handleAuth(req: Request): void {}
  handleLogout(req: Request): void {}
}
"""

NESTED_PY = """\
class Outer:
    class Inner:
        def method(self):
            return 1

def helper():
    pass
"""


@pytest.fixture
async def checkout_client(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    repo = make_git_repo(
        tmp_path / "repo", {"src/router.ts": ROUTER_TS, "lib/nested.py": NESTED_PY}
    )
    async with serve(create_app(make_settings(repo_root=repo))) as client:
        yield client


def _symbol_claim(engineer: str, path: str, *symbols: str) -> dict[str, object]:
    return {"engineer": engineer, "claims": [{"pattern": path, "symbols": list(symbols)}]}


async def test_methods_of_one_class_coexist_and_the_class_blocks_both(
    checkout_client: httpx.AsyncClient,
) -> None:
    client = checkout_client
    auth = await client.post(
        "/claims", json=_symbol_claim("alex", "src/router.ts", "Router::handleAuth")
    )
    logout = await client.post(
        "/claims", json=_symbol_claim("sam", "src/router.ts", "Router::handleLogout")
    )
    assert auth.status_code == 200 and logout.status_code == 200
    whole = await client.post("/claims", json=_symbol_claim("kim", "src/router.ts", "Router"))
    assert whole.status_code == 409
    holders = {c["conflicting_claim"]["engineer"] for c in whole.json()["conflicts"]}
    assert holders == {"alex", "sam"}


async def test_nested_python_symbols_validate(checkout_client: httpx.AsyncClient) -> None:
    granted = await checkout_client.post(
        "/claims", json=_symbol_claim("alex", "lib/nested.py", "Outer::Inner::method")
    )
    assert granted.status_code == 200
    blocked = await checkout_client.post(
        "/claims", json=_symbol_claim("sam", "lib/nested.py", "Outer")
    )
    assert blocked.status_code == 409


async def test_unknown_symbol_is_400_with_the_real_names(
    checkout_client: httpx.AsyncClient,
) -> None:
    answer = await checkout_client.post(
        "/claims", json=_symbol_claim("alex", "src/router.ts", "Router::handleAuht")
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_symbol"
    assert body["unknown"] == ["Router::handleAuht"]
    assert body["symbols"][0] == "Router::handleAuth", "closest match first"
    assert "Router::handleLogout" in body["symbols"]
    assert "Router::handleAuth" in body["detail"]


async def test_untracked_file_symbols_are_accepted_with_a_warning(
    checkout_client: httpx.AsyncClient,
) -> None:
    answer = await checkout_client.post(
        "/claims", json=_symbol_claim("alex", "src/new.ts", "Anything")
    )
    assert answer.status_code == 200
    assert any("not checked" in warning for warning in answer.json()["warnings"])


async def test_an_unchanged_file_is_read_once_and_a_changed_one_again(tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", {"src/router.ts": ROUTER_TS})
    validator = SymbolValidator(repo)
    request = ClaimRequest(
        "alex", None, None, (ClaimItem("file", "src/router.ts", ("Router::handleAuth",)),)
    )
    for _ in range(3):
        assert await validator.check(request) == []
    assert validator.reads == 1
    target = repo / "src/router.ts"
    target.write_text(ROUTER_TS.replace("handleAuth", "handleLogin"))
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000))
    with pytest.raises(CoordError) as raised:
        await validator.check(request)
    assert raised.value.code is ErrorCode.INVALID_SYMBOL
    assert validator.reads == 2


async def test_a_partner_list_keeps_only_claims_still_active(
    checkout_client: httpx.AsyncClient,
) -> None:
    client = checkout_client
    alex = await client.post(
        "/claims", json=_symbol_claim("alex", "src/router.ts", "Router::handleAuth")
    )
    sam = await client.post(
        "/claims", json=_symbol_claim("sam", "src/router.ts", "Router::handleLogout")
    )
    sam_id = sam.json()["claim_ids"][0]
    released = await client.delete(f"/claims/{sam_id}", params={"engineer": "sam"})
    assert released.status_code == 200
    kim = await client.post(
        "/claims", json=_symbol_claim("kim", "src/router.ts", "Router::handleLogout")
    )
    kim_id = kim.json()["claim_ids"][0]
    alex_id = alex.json()["claim_ids"][0]
    listed = (await client.get("/claims")).json()["claims"]
    held = next(claim for claim in listed if claim["id"] == alex_id)
    assert held["coexists_with"] == [kim_id], "the ended partner is dropped, the new one added"
