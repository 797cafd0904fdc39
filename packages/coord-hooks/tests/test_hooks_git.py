"""Where the checkout is (top level, main checkout, branch), from one git process or several."""

from __future__ import annotations

from pathlib import Path

from hooks_support import make_workspace

from coord_hooks._git import Git


def test_a_linked_worktree_knows_its_own_root_and_the_main_checkout(tmp_path: Path) -> None:
    shop = make_workspace(tmp_path / "ws", {"a.py": "x = 1\n"})
    linked = shop.worktree("linked", "feature")

    git = Git(linked / ".")

    assert git.toplevel() == linked.resolve()
    assert git.main_checkout() == shop.clone.resolve()
    assert git.current_branch() == "feature"
    assert git.toplevel() == linked.resolve()  # asked again: the same answer


def test_a_new_repository_has_a_root_but_no_branch_yet(tmp_path: Path) -> None:
    shop = make_workspace(tmp_path / "ws", {"a.py": "x = 1\n"})
    fresh = tmp_path / "fresh"
    shop.git("init", "-q", str(fresh), cwd=tmp_path)

    git = Git(fresh)

    assert (git.toplevel(), git.main_checkout()) == (fresh.resolve(), fresh.resolve())
    assert git.current_branch() is None


def test_a_detached_head_has_no_branch(tmp_path: Path) -> None:
    shop = make_workspace(tmp_path / "ws", {"a.py": "x = 1\n"})
    shop.git("checkout", "-q", "--detach")

    git = Git(shop.clone)

    assert git.current_branch() is None
    assert git.toplevel() == shop.clone.resolve()


def test_a_bare_repository_has_neither(tmp_path: Path) -> None:
    shop = make_workspace(tmp_path / "ws", {"a.py": "x = 1\n"})

    git = Git(shop.root / "origin.git")

    assert git.toplevel() is None
    assert git.main_checkout() is None


def test_outside_a_checkout_there_is_neither(tmp_path: Path) -> None:
    git = Git(tmp_path)

    assert (git.main_checkout(), git.toplevel()) == (None, None)
