"""Symbol claims against a real checkout: validation, coexistence, blocking (SPEC §5)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from server_support import make_git_repo, serve

from coord_server.app import create_app
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
