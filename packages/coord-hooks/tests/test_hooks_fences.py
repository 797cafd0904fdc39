"""Fences carried into git: trailers written at commit, checked at push and in CI.

Real checkouts in temporary directories, the installed `coord-hook` behind the hooks `coord init`
installs, and a real `coord-api` process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from coord_e2e import wait_until
from hooks_support import Service, Workspace, local_env_for, make_workspace

pytestmark = pytest.mark.slow

FILES = {"src/auth.py": "def login(user):\n    return user\n", "docs/guide.md": "# Guide\n"}


@pytest.fixture
def shop(tmp_path: Path, service: Service) -> Workspace:
    """Alice's clone, wired to the service, with both of coord's git hooks."""
    workspace = make_workspace(tmp_path / "ws", FILES)
    workspace.write_local_env(**local_env_for(service))
    workspace.install_commit_msg_hook()
    return workspace


def trailer_of(claim: dict[str, Any]) -> str:
    return f"{claim['id']} fence={claim['fence']} repo=shop/web"


def lapse_then_grant_to_bob(service: Service, claim: dict[str, Any]) -> dict[str, Any]:
    """Wait until `claim` (a short one) has expired, and bob has been granted its file."""
    granted: list[dict[str, Any]] = []

    def bob_holds_it() -> bool:
        body = {"engineer": "bob", "repo": "shop/web", "claims": [{"pattern": claim["pattern"]}]}
        response = service.http.post("/claims", json=body)
        if response.status_code == 200:
            granted.append(response.json()["claims"][0])
        return bool(granted)

    wait_until(bob_holds_it, 30, "alice's claim to expire and bob's to be granted")
    return granted[0]


def adherence(service: Service) -> dict[str, int]:
    """The shop's adherence counts as the service has them (they add up over this module)."""
    answer = service.http.get("/metrics/adherence", params={"repo": "shop/web"}).json()
    repo = next((r for r in answer["repos"] if r["repo"] == "shop/web"), {})
    keys = ("files", "covered_files", "commits", "commits_with_trailers")
    return {key: int(repo.get(key, 0)) for key in keys}


def ci(shop: Workspace, summary: Path, **env: str) -> subprocess.CompletedProcess[str]:
    shop.git("fetch", "-q", "origin")
    command = ["coord-hook", "ci", "--base", "origin/main"]
    return shop.run(command, GITHUB_STEP_SUMMARY=str(summary), **env)


def test_a_commit_under_a_claim_carries_its_trailer(shop: Workspace, service: Service) -> None:
    held = service.claim("alice/claude/shop", "src/**")
    service.claim("bob", "docs/**")

    shop.commit({"src/auth.py": "def login(user):\n    return 1\n"}, "login returns 1")

    assert shop.trailers() == [trailer_of(held)]
    assert f"Coord-Claim: {trailer_of(held)}" in shop.git("log", "-1", "--format=%B")


def test_a_commit_without_a_claim_carries_no_trailer(shop: Workspace, service: Service) -> None:
    service.claim("bob", "src/**")

    shop.commit({"src/auth.py": "def login(user):\n    return 2\n"}, "login returns 2")

    assert shop.trailers() == []
    assert "Coord-Claim" not in shop.git("log", "-1", "--format=%B")


def test_a_merge_message_gets_no_trailer(shop: Workspace, service: Service) -> None:
    service.claim("alice", "**")
    shop.git("checkout", "-q", "-b", "side")
    shop.commit({"docs/guide.md": "# Guide\nside\n"}, "side")
    shop.git("checkout", "-q", "main")
    shop.commit({"src/auth.py": "x = 1\n"}, "main")

    shop.git("merge", "-q", "--no-ff", "--no-edit", "side")

    assert shop.trailers() == []
    assert len(shop.trailers("HEAD^2")) == 1


def test_a_push_whose_claim_expired_and_went_to_someone_else_is_reported_and_refused(
    shop: Workspace, service: Service
) -> None:
    mine = service.claim("alice", "src/auth.py", ttl_hours=0.0003)
    shop.commit({"src/auth.py": "def login(user):\n    return 3\n"}, "under a short claim")
    assert shop.trailers() == [trailer_of(mine)]
    bobs = lapse_then_grant_to_bob(service, mine)
    service.http.delete(f"/claims/{bobs['id']}").raise_for_status()  # fenced out all the same
    shop.commit({"docs/guide.md": "# Guide\nmore\n"}, "a second commit, no claim")
    named = (mine["id"], f"fence {mine['fence']}", bobs["id"], f"fence {bobs['fence']}", "bob")

    refused = shop.push("origin", "main")

    assert refused.returncode != 0
    assert "push blocked: 2 changed files were not edited under a valid claim" in refused.stderr
    assert all(text in refused.stderr for text in named), refused.stderr
    assert "docs/guide.md" in refused.stderr and "edited without a claim" in refused.stderr
    assert "git push --no-verify" in refused.stderr and "rebase" in refused.stderr
    assert shop.remote_id("main") != shop.git("rev-parse", "HEAD").strip()

    before = adherence(service)
    advised = shop.push("origin", "main", COORD_PREPUSH_MODE="advise")

    assert advised.returncode == 0, advised.stderr
    assert "warning: 2 changed files were not edited under a valid claim" in advised.stderr
    assert all(text in advised.stderr for text in named), advised.stderr
    assert shop.remote_id("main") == shop.git("rev-parse", "HEAD").strip()
    # The push told the service what it saw: 2 commits, 2 files, none under a valid claim, one
    # commit with a trailer (the refused push had reported the same commits, counted once).
    after = adherence(service)
    assert after["commits"] - before["commits"] in (0, 2) and after["commits"] >= 2
    assert after["covered_files"] == before["covered_files"]


def test_a_push_whose_trailers_are_current_passes(shop: Workspace, service: Service) -> None:
    service.claim("alice/claude/shop", "src/**")
    service.claim("alice", "docs/guide.md")
    shop.commit({"src/auth.py": "def login(user):\n    return 4\n"}, "login")
    shop.commit({"docs/guide.md": "# Guide\nfour\n"}, "guide")
    before = adherence(service)

    pushed = shop.push("origin", "main")

    assert pushed.returncode == 0, pushed.stderr
    after = adherence(service)
    assert after["commits"] - before["commits"] == 2
    assert after["covered_files"] - before["covered_files"] == 2
    assert after["commits_with_trailers"] - before["commits_with_trailers"] == 2
    assert "made under a valid claim (2 with Coord-Claim trailers)" in pushed.stderr
    assert shop.remote_id("main") == shop.git("rev-parse", "HEAD").strip()


def test_claiming_after_the_commit_is_a_way_out(shop: Workspace, service: Service) -> None:
    shop.commit({"docs/guide.md": "# Guide\nlate\n"}, "claimed too late")
    assert shop.push("origin", "main").returncode != 0

    service.claim("alice", "docs/**")

    assert shop.push("origin", "main").returncode == 0


def test_the_ci_check_prints_the_same_findings(
    shop: Workspace, service: Service, tmp_path: Path
) -> None:
    mine = service.claim("alice", "src/auth.py", ttl_hours=0.0003)
    shop.git("checkout", "-q", "-b", "feature")
    shop.commit({"src/auth.py": "def login(user):\n    return 5\n"}, "login 5")
    shop.commit({"docs/guide.md": "# Guide\nfive\n"}, "guide 5")
    bobs = lapse_then_grant_to_bob(service, mine)
    service.http.delete(f"/claims/{bobs['id']}").raise_for_status()  # nobody blocks; fenced out
    summary = tmp_path / "summary.md"

    done = ci(shop, summary, COORD_USER="alice")

    assert done.returncode == 1, done.stdout + done.stderr
    written = summary.read_text(encoding="utf-8")
    assert written == done.stdout
    assert "No other engineer holds an active claim" in written
    assert "| commit | file | finding |" in written
    assert f"{mine['id']} (fence {mine['fence']})" in written and bobs["id"] in written
    assert "`docs/guide.md`" in written and "edited without a claim" in written
    advised = ci(shop, tmp_path / "advised.md", COORD_USER="alice", COORD_PREPUSH_MODE="advise")
    assert advised.returncode == 0, advised.stdout
    assert "| commit | file | finding |" in advised.stdout


def test_the_commit_hook_with_the_service_down_adds_nothing(shop: Workspace, dead_url: str) -> None:
    shop.write_local_env(COORD_API_URL=dead_url, COORD_AUTH_TOKEN="t", COORD_REPO_ID="shop/web")
    message = shop.clone / "message.txt"
    message.write_text("a change\n", encoding="utf-8")
    (shop.clone / "src" / "auth.py").write_text("x = 2\n", encoding="utf-8")
    shop.git("add", "-A")

    done = shop.run(["coord-hook", "prepare-commit-msg", str(message), "message"])

    assert done.returncode == 0
    assert message.read_text(encoding="utf-8") == "a change\n"
    assert "no Coord-Claim trailer added" in done.stderr and "unreachable" in done.stderr
