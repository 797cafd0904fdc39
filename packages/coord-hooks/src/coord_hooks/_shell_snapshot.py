"""What a shell command changed in the working tree: a snapshot before it, one after, compared.

A snapshot is `git status --porcelain -z` (no diff is computed, so it stays fast in a large
checkout) plus each listed path's size and modification time, so that a command rewriting a file
that was already modified is seen too. The before-snapshot waits in the working tree's git
directory (`.git/coord/bash/<tool_use_id>.json`), where no status, commit or claim ever sees it,
until the matching `PostToolUse` reads and removes it.

Nothing here reads the command line: what changed is what git sees, whatever the command was.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from coord_protocol.worktree import changed_paths

SNAPSHOT_DIR = ("coord", "bash")
"""Where before-snapshots wait, under the working tree's git directory."""

STALE_AFTER_SEC = 24 * 3600.0
"""A snapshot no `PostToolUse` collected (the command was refused, the session died) is
removed after a day."""

_TOOL_USE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_IGNORED_PREFIX = ".coordination/"

Entry = tuple[str, int, int]
"""A changed path's status letters, modification time (ns) and size (-1: gone)."""


@dataclass(frozen=True, slots=True)
class ShellChange:
    """One path a command changed, and how."""

    path: str
    """Repo-relative path."""
    before: str | None
    """Its status letters before the command (None: it was unchanged)."""
    after: str | None
    """Its status letters after (None: unchanged now, e.g. reverted)."""

    @property
    def what(self) -> str:
        """How the command changed it, in a few words."""
        if self.after is None:
            return "reverted to the committed version"
        if "D" in self.after:
            return "deleted"
        if self.before is None and self.after == "??":
            return "created"
        return "modified"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The changed paths of a checkout at one moment."""

    taken_at: int
    """When it was taken (ns since the epoch), before git was asked."""
    paths: dict[str, Entry]
    """Each changed path's entry."""


def snapshot(top: Path) -> Snapshot:
    """The changed paths of the checkout at `top`, with their sizes and times."""
    taken_at = time.time_ns()
    found: dict[str, Entry] = {}
    for entry in changed_paths(top):
        if not entry.path.startswith(_IGNORED_PREFIX):
            found[entry.path] = (entry.status, *_stat(top / entry.path))
    return Snapshot(taken_at, found)


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = os.lstat(path)
    except OSError:
        return (-1, -1)  # gone
    return (stat.st_mtime_ns, stat.st_size)


def compare(before: Snapshot, after: Snapshot, top: Path) -> list[ShellChange]:
    """The paths the command between two snapshots changed in the working tree, sorted.

    Only the files count, not the index: `git add` or `git commit` changes a path's status
    letters without touching the file, and is no write. A path changed before and after was
    written when its size or time moved; one that left the list was written when the file is
    not as it was (a `git checkout -- path`, not a commit); one that joined the list was written
    when its time is not older than the first snapshot, or it is gone.
    """
    changes = []
    for path in sorted(set(before.paths) | set(after.paths)):
        old, new = before.paths.get(path), after.paths.get(path)
        if new is None:
            written = old is not None and _stat(top / path) != old[1:]
        elif old is None:
            written = new[1] == -1 or new[1] >= before.taken_at
        else:
            written = old[1:] != new[1:]
        if written:
            changes.append(ShellChange(path, _status(old), _status(new)))
    return changes


def _status(entry: Entry | None) -> str | None:
    return None if entry is None else entry[0]


def snapshot_file(git_dir: Path, tool_use_id: str) -> Path | None:
    """Where the before-snapshot of one tool call is kept; None for an id unsafe in a name."""
    if _TOOL_USE_ID.fullmatch(tool_use_id) is None:
        return None
    return git_dir.joinpath(*SNAPSHOT_DIR, f"{tool_use_id}.json")


def save(path: Path, taken: Snapshot) -> None:
    """Write a before-snapshot (private to the user, like the rest of `.git`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps({"taken_at": taken.taken_at, "paths": taken.paths}), "utf-8")
    scratch.replace(path)


def take_back(path: Path) -> Snapshot | None:
    """Read and remove a before-snapshot; None when there is none (or it is unreadable)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
    except (OSError, ValueError):
        return None
    _prune(path.parent)
    paths = raw.get("paths") if isinstance(raw, dict) else None
    if not isinstance(paths, dict) or not isinstance(raw.get("taken_at"), int):
        return None
    entries = {str(key): _entry(value) for key, value in paths.items() if _is_entry(value)}
    return Snapshot(raw["taken_at"], entries)


def _is_entry(value: object) -> bool:
    return isinstance(value, list) and len(value) == 3  # status, time, size


def _entry(value: list[object]) -> Entry:
    status, mtime, size = value
    return (str(status), int(str(mtime)), int(str(size)))


def _prune(directory: Path) -> None:
    cutoff = time.time() - STALE_AFTER_SEC
    try:
        stale = [item for item in directory.iterdir() if item.stat().st_mtime < cutoff]
        for item in stale:
            item.unlink(missing_ok=True)
    except OSError:
        return
