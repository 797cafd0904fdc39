"""`git push` through the installed pre-push hook, against a real `coord-api` process."""

from __future__ import annotations

from pathlib import Path

import pytest
from hooks_support import TOKEN, Service, Workspace, local_env_for, make_workspace

from coord_hooks._git import Git
from coord_hooks.pre_push import RefUpdate, changed_files

pytestmark = pytest.mark.slow

FILES = {
    "package.json": '{"name": "shop"}\n',
    "src/auth.py": "def login(user):\n    return user\n",
    "src/cart.py": "ITEMS = []\n",
}

ZERO = "0" * 40


@pytest.fixture
def shop(tmp_path: Path, service: Service) -> Workspace:
    """Alice's clone of the shop, wired to the service."""
    workspace = make_workspace(tmp_path / "ws", FILES)
    workspace.write_local_env(**local_env_for(service))
    return workspace


GIT_OWN_LINES = ("error:", "To ", " ! ", "hint:")
"""How the lines git itself prints around a hook's output begin."""


def narrow(text: str) -> bool:
    """Whether every line the hook wrote to `text` fits an 80-column terminal."""
    hook_lines = (line for line in text.splitlines() if not line.startswith(GIT_OWN_LINES))
    return all(len(line) <= 80 for line in hook_lines)


def test_a_change_to_a_file_claimed_by_someone_else_is_refused_until_released(
    shop: Workspace, service: Service
) -> None:
    held = service.claim("bob/claude/main", "src/auth.py", description="auth rewrite")
    before = shop.remote_id("main")
    shop.commit({"src/auth.py": "def login(user):\n    return None\n"}, "tweak login")

    refused = shop.push("origin", "main")

    assert refused.returncode != 0
    assert shop.remote_id("main") == before
    assert "push blocked" in refused.stderr
    assert "bob/claude/main" in refused.stderr
    assert "src/auth.py" in refused.stderr
    assert held["id"] in refused.stderr
    assert "git push --no-verify" in refused.stderr
    assert narrow(refused.stderr), refused.stderr

    service.http.delete(f"/claims/{held['id']}").raise_for_status()
    service.claim("alice", "src/auth.py")  # edited without a claim until now
    allowed = shop.push("origin", "main")

    assert allowed.returncode == 0, allowed.stderr
    assert shop.remote_id("main") == shop.git("rev-parse", "HEAD").strip()
    assert "no claims by others" in allowed.stderr


def test_claims_of_the_pusher_and_their_agents_do_not_block(
    shop: Workspace, service: Service
) -> None:
    service.claim("alice/claude/shop", "src/auth.py")
    service.claim("alice", "src/cart.py")
    changes = {"src/auth.py": "def login(user):\n    return 1\n", "src/cart.py": "ITEMS = [0]\n"}
    shop.commit(changes, "mine")

    pushed = shop.push("origin", "main")

    assert pushed.returncode == 0, pushed.stderr


def test_a_changed_root_file_is_checked_anchored(shop: Workspace, service: Service) -> None:
    # Unanchored, `package.json` would overlap `src/auth.py` (at `src/auth.py/package.json`).
    service.claim("bob", "src/auth.py")
    mine = service.claim("alice", "/package.json")
    shop.commit({"package.json": '{"name": "shop", "version": "2"}\n'}, "bump")

    assert shop.push("origin", "main").returncode == 0

    service.http.delete(f"/claims/{mine['id']}").raise_for_status()
    service.claim("bob", "/package.json")
    shop.commit({"package.json": '{"name": "shop", "version": "3"}\n'}, "bump again")
    refused = shop.push("origin", "main")
    assert refused.returncode != 0
    assert "package.json" in refused.stderr


@pytest.mark.parametrize("origin_head", [False, True], ids=["no-origin-head", "origin-head"])
def test_a_new_branch_from_a_linked_worktree_is_checked_against_its_base(
    shop: Workspace, service: Service, origin_head: bool
) -> None:
    if origin_head:
        shop.git("remote", "set-head", "origin", "main")
    worktree = shop.worktree("feature-wt", "feature")
    shop.commit({"src/cart.py": "ITEMS = [1]\n"}, "cart", cwd=worktree)
    # Already on origin's main, so not part of what the new branch brings.
    service.claim("carol", "src/auth.py")
    service.claim("bob", "src/cart.py")

    refused = shop.push("-u", "origin", "feature", cwd=worktree)

    assert refused.returncode != 0
    assert shop.remote_id("feature") is None
    assert "bob" in refused.stderr
    assert "carol" not in refused.stderr

    service.release_all()
    service.claim("carol", "src/auth.py")
    service.claim("alice", "src/cart.py")
    assert shop.push("-u", "origin", "feature", cwd=worktree).returncode == 0


def test_deleting_a_remote_branch_is_never_blocked(shop: Workspace, service: Service) -> None:
    worktree = shop.worktree("feature-wt", "feature")
    shop.commit({"src/cart.py": "ITEMS = [2]\n"}, "cart", cwd=worktree)
    service.claim("alice", "src/cart.py")
    assert shop.push("origin", "feature", cwd=worktree).returncode == 0
    service.release_all()
    service.claim("bob", "src/**")

    deleted = shop.push("origin", "--delete", "feature")

    assert deleted.returncode == 0, deleted.stderr
    assert shop.remote_id("feature") is None


def test_advise_mode_warns_about_a_conflict_and_pushes(shop: Workspace, service: Service) -> None:
    shop.write_local_env(**local_env_for(service, COORD_PREPUSH_MODE="advise"))
    service.claim("bob", "src/cart.py")
    head = shop.commit({"src/cart.py": "ITEMS = [3]\n"}, "cart")

    pushed = shop.push("origin", "main")

    assert pushed.returncode == 0, pushed.stderr
    assert shop.remote_id("main") == head
    assert "advise mode" in pushed.stderr
    assert "bob" in pushed.stderr


def test_advise_mode_pushes_with_a_warning_when_the_service_is_down(
    shop: Workspace, service: Service, dead_url: str
) -> None:
    values = local_env_for(service, COORD_PREPUSH_MODE="advise")
    shop.write_local_env(**{**values, "COORD_API_URL": dead_url})
    head = shop.commit({"src/cart.py": "ITEMS = [4]\n"}, "cart")

    pushed = shop.push("origin", "main")

    assert pushed.returncode == 0, pushed.stderr
    assert shop.remote_id("main") == head
    assert "warning" in pushed.stderr
    assert "unreachable" in pushed.stderr
    assert narrow(pushed.stderr), pushed.stderr


def test_enforce_mode_blocks_when_the_service_is_down(
    shop: Workspace, service: Service, dead_url: str
) -> None:
    shop.write_local_env(**{**local_env_for(service), "COORD_API_URL": dead_url})
    before = shop.remote_id("main")
    shop.commit({"src/cart.py": "ITEMS = [5]\n"}, "cart")

    refused = shop.push("origin", "main")

    assert refused.returncode != 0
    assert shop.remote_id("main") == before
    assert "unreachable" in refused.stderr
    assert "COORD_PREPUSH_MODE=advise" in refused.stderr
    assert "git push --no-verify" in refused.stderr


def test_a_placeholder_token_is_refused_naming_the_file_to_fix(
    shop: Workspace, service: Service
) -> None:
    local_env = shop.write_local_env(**{**local_env_for(service), "COORD_AUTH_TOKEN": "set-me"})
    shop.commit({"src/cart.py": "ITEMS = [6]\n"}, "cart")

    refused = shop.push("origin", "main")

    assert refused.returncode != 0
    assert str(local_env) in refused.stderr


def test_the_environment_wins_over_local_env_and_legacy_names_work(
    shop: Workspace, service: Service, dead_url: str
) -> None:
    shop.write_local_env(**{**local_env_for(service), "COORD_API_URL": dead_url})
    service.claim("bob", "src/cart.py")
    shop.commit({"src/cart.py": "ITEMS = [7]\n"}, "cart")

    refused = shop.push("origin", "main", COORD_SERVICE_URL=service.base_url, COORD_TOKEN=TOKEN)
    # The URL and the token are one pair: an exported URL never borrows local.env's token.
    url_only = shop.push("origin", "main", COORD_SERVICE_URL=service.base_url)

    assert refused.returncode != 0
    assert "bob" in refused.stderr
    assert url_only.returncode != 0
    assert "missing bearer token" in url_only.stderr and "bob" not in url_only.stderr


def test_nothing_to_push_needs_no_service(shop: Workspace, dead_url: str) -> None:
    shop.write_local_env(COORD_API_URL=dead_url)

    assert shop.push("origin", "main").returncode == 0


def test_changed_files_per_kind_of_ref_update(shop: Workspace) -> None:
    git = Git(shop.clone)
    base = shop.git("rev-parse", "HEAD").strip()
    head = shop.commit({"src/new.py": "N = 1\n", "src/cart.py": "ITEMS = [8]\n"}, "two")
    ref = "refs/heads/main"

    assert changed_files(git, RefUpdate(ref, head, ref, base), "origin") == [
        "src/cart.py",
        "src/new.py",
    ]
    assert changed_files(git, RefUpdate("(delete)", ZERO, ref, base), "origin") == []
    created = changed_files(git, RefUpdate(ref, head, "refs/heads/other", ZERO), "origin")
    assert created == ["src/cart.py", "src/new.py"]
    unknown_remote = "f" * 40
    forced = changed_files(git, RefUpdate(ref, head, ref, unknown_remote), "origin")
    assert forced == ["src/cart.py", "src/new.py"]
