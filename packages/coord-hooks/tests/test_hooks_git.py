"""Where the checkout is: the top level and the main checkout, from one git process or two."""

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
    assert git.toplevel() == linked.resolve()  # asked again: the same answer


def test_a_bare_repository_has_neither(tmp_path: Path) -> None:
    shop = make_workspace(tmp_path / "ws", {"a.py": "x = 1\n"})

    git = Git(shop.root / "origin.git")

    assert git.toplevel() is None
    assert git.main_checkout() is None


def test_outside_a_checkout_there_is_neither(tmp_path: Path) -> None:
    git = Git(tmp_path)

    assert (git.main_checkout(), git.toplevel()) == (None, None)
