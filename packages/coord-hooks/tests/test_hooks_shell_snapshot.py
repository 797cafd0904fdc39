"""What a shell command changed, from snapshots of a real checkout before and after it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hooks_support import Workspace, make_workspace

from coord_hooks._shell_snapshot import compare, save, snapshot, snapshot_file, take_back

FILES = {"src/a.py": "A = 1\n", "src/b.py": "B = 1\n"}


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws", FILES)


def changes_of(shop: Workspace, *command: str) -> list[tuple[str, str]]:
    """(path, what) for each path `command` changed."""
    before = snapshot(shop.clone)
    done = shop.run(["sh", "-c", " ".join(command)])
    assert done.returncode == 0, done.stderr
    found = compare(before, snapshot(shop.clone), shop.clone)
    return [(change.path, change.what) for change in found]


def test_writes_creations_and_deletions_are_seen(shop: Workspace) -> None:
    changed = changes_of(shop, "echo 'A = 2' > src/a.py && touch new.txt && rm src/b.py")

    assert changed == [("new.txt", "created"), ("src/a.py", "modified"), ("src/b.py", "deleted")]


def test_a_file_changed_before_and_rewritten_again_is_seen(shop: Workspace) -> None:
    (shop.clone / "src" / "a.py").write_text("A = 2\n", encoding="utf-8")

    assert changes_of(shop, "echo 'A = 333' > src/a.py") == [("src/a.py", "modified")]


def test_a_checkout_of_a_changed_file_is_a_revert(shop: Workspace) -> None:
    (shop.clone / "src" / "a.py").write_text("A = 2\n", encoding="utf-8")

    changed = changes_of(shop, "git checkout -- src/a.py")

    assert changed == [("src/a.py", "reverted to the committed version")]


def test_staging_or_committing_touches_no_file(shop: Workspace) -> None:
    (shop.clone / "src" / "a.py").write_text("A = 2\n", encoding="utf-8")
    (shop.clone / "notes.txt").write_text("n\n", encoding="utf-8")

    assert changes_of(shop, "git add -A") == []
    assert changes_of(shop, "git commit -q -m staged") == []


def test_a_read_only_command_changes_nothing(shop: Workspace) -> None:
    (shop.clone / "src" / "a.py").write_text("A = 2\n", encoding="utf-8")

    assert changes_of(shop, "git status && cat src/a.py && ls -R") == []


def test_a_snapshot_is_taken_back_once(shop: Workspace) -> None:
    where = snapshot_file(shop.clone / ".git", "toolu_01abc")
    assert where is not None
    (shop.clone / "src" / "a.py").write_text("A = 2\n", encoding="utf-8")
    taken = snapshot(shop.clone)

    save(where, taken)

    assert take_back(where) == taken
    assert take_back(where) is None


@pytest.mark.parametrize("tool_use_id", ["../../x", "a/b", "", "x" * 200])
def test_an_unsafe_tool_use_id_names_no_file(tool_use_id: str, tmp_path: Path) -> None:
    assert snapshot_file(tmp_path, tool_use_id) is None
