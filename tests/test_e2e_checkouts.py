"""Checkouts per repository through a real `coord-api`: settings, registrations, git as data.

The server reads one checkout per repository: `COORD_REPO_ROOTS` names them, `COORD_REPO_ROOT`
is the default, and `PUT /admin/checkouts` (what `coord init --mode local` calls) registers more,
kept across restarts. Every git process it starts ignores what the checkout's configuration
asks it to run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from coord_e2e import CoordApiFactory, GitRepoFactory, require_tool

pytestmark = pytest.mark.slow

SHOP = {
    "src/cart.py": "def add_item(cart, item):\n    return cart\n\n\n"
    "def remove_item(cart):\n    pass\n",
    "src/pay.py": "def charge(amount):\n    return amount\n",
    "README.md": "# shop\n",
}
WEB = {"app/page.py": "def render():\n    return ''\n", "app/style.py": "COLOR = 1\n"}


def claim(http: httpx.Client, repo: str | None, pattern: str, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {"engineer": "alex/claude/main", "claims": [{"pattern": pattern}]}
    if repo is not None:
        body["repo"] = repo
    if "symbols" in fields:
        body["claims"][0]["symbols"] = fields.pop("symbols")
    return http.post("/claims", json={**body, **fields})


def register(http: httpx.Client, repo: str | None, path: Path | str) -> httpx.Response:
    return http.put("/admin/checkouts", json={"repo": repo, "path": str(path)})


def test_each_repo_is_checked_against_its_own_checkout(
    coord_api_factory: CoordApiFactory, git_repo: GitRepoFactory
) -> None:
    shop, web = git_repo(SHOP), git_repo(WEB)
    server = coord_api_factory.start(env={"COORD_REPO_ROOTS": f"acme/shop={shop},acme/web={web}"})
    with server.client() as http:
        refused = claim(http, "acme/shop", "src/cart.py", symbols=["add_itme"])
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "invalid_symbol"
        assert "add_item" in refused.json()["detail"]

        # app/page.py is tracked in acme/web's checkout only: a warning in shop, none in web.
        in_web = claim(http, "acme/web", "app/page.py", symbols=["render"])
        assert in_web.status_code == 200 and in_web.json()["warnings"] == []
        in_shop = claim(http, "acme/shop", "app/page.py")
        assert "matches no tracked file" in " ".join(in_shop.json()["warnings"])

        # A repo without a checkout of its own, and no default: nothing is checked.
        elsewhere = claim(http, "acme/other", "src/cart.py", symbols=["add_itme"])
        assert elsewhere.status_code == 200, elsewhere.text
        listed = http.get("/admin/checkouts").json()
    assert [(c["repo"], c["source"]) for c in listed["checkouts"]] == [
        ("acme/shop", "COORD_REPO_ROOTS"),
        ("acme/web", "COORD_REPO_ROOTS"),
    ]


def test_a_registered_checkout_serves_its_repo_and_survives_a_restart(
    coord_api_factory: CoordApiFactory, git_repo: GitRepoFactory
) -> None:
    shop = git_repo(SHOP)
    server = coord_api_factory.start()
    with server.client() as http:
        assert claim(http, "acme/shop", "src/cart.py", symbols=["add_itme"]).status_code == 200
        answer = register(http, "acme/shop", shop)
        assert answer.status_code == 200, answer.text
        assert answer.json()["checkouts"] == [
            {"repo": "acme/shop", "path": str(shop.resolve()), "source": "registered",
             "is_checkout": True}
        ]  # fmt: skip
        assert claim(http, "acme/shop", "src/pay.py", symbols=["chrage"]).status_code == 400

    server = coord_api_factory.restart(server)
    with server.client() as http:
        refused = claim(http, "acme/shop", "src/pay.py", symbols=["chrage"])
        assert refused.status_code == 400 and "charge" in refused.json()["detail"]
        assert http.get("/meta").json()["repo_root_configured"] is True


def test_registration_refuses_what_is_not_a_checkout_and_what_a_setting_names(
    coord_api_factory: CoordApiFactory, git_repo: GitRepoFactory, tmp_path: Path
) -> None:
    shop, other = git_repo(SHOP), git_repo(WEB)
    server = coord_api_factory.start(env={"COORD_REPO_ROOTS": f"acme/shop={shop}"})
    with server.client() as http:
        plain = register(http, "acme/web", tmp_path)
        assert plain.status_code == 400
        assert "is not the top directory of a git checkout" in plain.json()["detail"]
        inside = register(http, "acme/web", other / "app")
        assert inside.status_code == 400 and "register that directory" in inside.json()["detail"]
        relative = register(http, "acme/web", "shop")
        assert relative.status_code == 400 and "absolute" in relative.json()["detail"]
        taken = register(http, "acme/shop", other)
        assert taken.status_code == 400 and "COORD_REPO_ROOTS" in taken.json()["detail"]
        assert register(http, "acme/shop", shop).status_code == 200  # the same path: fine
        bad_repo = register(http, "not a repo id", other)
        assert bad_repo.status_code == 422
    with httpx.Client(base_url=server.base_url) as anonymous:
        assert register(anonymous, "acme/web", other).status_code == 401


def test_the_default_checkout_serves_claims_without_a_repo_and_repos_without_their_own(
    coord_api_factory: CoordApiFactory, git_repo: GitRepoFactory
) -> None:
    shop, web = git_repo(SHOP), git_repo(WEB)
    server = coord_api_factory.start(repo_root=shop, env={"COORD_REPO_ROOTS": f"acme/web={web}"})
    with server.client() as http:
        assert claim(http, None, "src/cart.py", symbols=["add_itme"]).status_code == 400
        assert claim(http, "acme/any", "src/cart.py", symbols=["add_itme"]).status_code == 400
        assert claim(http, "acme/web", "app/page.py", symbols=["rendr"]).status_code == 400


def test_git_never_runs_what_the_checkout_configures(
    coord_api_factory: CoordApiFactory, git_repo: GitRepoFactory, tmp_path: Path
) -> None:
    shop = git_repo(SHOP)
    marker = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\necho \"$COORD_AUTH_TOKEN\" > '{marker}'\nexit 1\n")
    hook.chmod(0o755)
    git = require_tool("git")
    for key, value in (("core.fsmonitor", str(hook)), ("core.hooksPath", str(tmp_path))):
        subprocess.run([git, "config", key, value], cwd=shop, check=True)
    _prove_git_would_run_it(git, shop, marker)

    server = coord_api_factory.start(env={"COORD_REPO_ROOTS": f"acme/shop={shop}"})
    with server.client() as http:
        assert claim(http, "acme/shop", "src/cart.py", symbols=["add_item"]).status_code == 200
        assert claim(http, "acme/shop", "src/*.py", engineer="bo/codex/main").status_code == 409
        checked = http.get(
            "/conflicts", params={"engineer": "bo/codex/main", "repo": "acme/shop",
                                  "pattern": "src/**"},
        )  # fmt: skip
        assert checked.status_code == 200, checked.text
        assert checked.json()["conflicts"][0]["overlap"] == ["src/cart.py"]
        batch = http.post(
            "/conflicts/batch", json={"engineer": "bo/codex/main", "repo": "acme/shop",
                                      "patterns": ["src/*.py", "nothing/here.py"]},
        )  # fmt: skip
        assert "matches no tracked file" in " ".join(batch.json()["warnings"])
        assert claim(http, "acme/shop", "src/pay.py", symbols=["chrage"]).status_code == 400
        assert register(http, "acme/web", shop).status_code == 200
    assert not marker.exists(), "git ran the checkout's fsmonitor command as the server"


def _prove_git_would_run_it(git: str, root: Path, marker: Path) -> None:
    """Plain git runs the configured command: the test above could fail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run([git, "ls-files"], cwd=root, env=env, check=True, capture_output=True)
    assert marker.exists()
    marker.unlink()


def test_an_unknown_setting_is_named_with_the_closest_one(
    coord_api_factory: CoordApiFactory,
) -> None:
    server = coord_api_factory.start(env={"COORD_DEFAULT_TTL_HOUR": "2"})
    assert (
        "COORD_DEFAULT_TTL_HOUR is not a coord setting and is ignored; did you mean "
        "COORD_DEFAULT_TTL_HOURS?" in server.stderr_text()
    )


def test_a_claim_without_repo_is_told_which_repos_it_never_meets(
    coord_api_factory: CoordApiFactory,
) -> None:
    server = coord_api_factory.start()
    with server.client() as http:
        assert claim(http, None, "src/a.py").json()["warnings"] == []  # nothing named yet
        assert claim(http, "acme/shop", "src/b.py").status_code == 200
        warnings = claim(http, None, "src/b.py").json()["warnings"]
    assert len(warnings) == 1
    assert "never conflicts with claims in acme/shop" in warnings[0]
    assert '"repo"' in warnings[0]
