"""What changed in a working tree, read from git: the input of reconciliation (SPEC §16).

`git status --porcelain -z` names every changed path (index or working tree, untracked files one
by one) without computing a diff, so it stays fast in a large checkout; `git log` adds when the
recently committed paths last changed. Only the standard library is used, so a git hook can
call this without loading pydantic or httpx (this module is not re-exported by the package).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from coord_protocol.git import run_git

STATUS_ARGS = ("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
"""Renames come back as a deletion and an addition: both paths changed, each needs a claim."""

MAX_RECENT_COMMITS = 500
"""Commits `git log` reads to learn when recently committed paths last changed."""

_COMMIT_MARK = "\x1ecoord-commit "


class WorktreeError(RuntimeError):
    """git could not say what changed (not a checkout, or git failed)."""


@dataclass(frozen=True, slots=True)
class ChangedPath:
    """One entry of `git status --porcelain -z`."""

    path: str
    """Repo-relative path, as git prints it with `-z` (never quoted)."""
    index: str
    """Status in the index (`X`): `M`, `A`, `D`, `R`, `C`, `?` for untracked, or a space."""
    worktree: str
    """Status in the working tree (`Y`)."""
    original: str | None = None
    """For a rename or copy (without `--no-renames`): the path it came from."""

    @property
    def status(self) -> str:
        """The two status letters, `?? ` style without the spaces (`M`, `A`, `??`, `MM`)."""
        return (self.index + self.worktree).strip() or "?"

    @property
    def deleted(self) -> bool:
        """Whether the file is gone from the working tree."""
        return "D" in (self.index, self.worktree)


@dataclass(frozen=True, slots=True)
class WorktreeState:
    """A checkout's changed paths and when its paths last changed."""

    top: Path
    """Top directory of the working tree."""
    changed: tuple[ChangedPath, ...]
    """Changed in the working tree or the index, in git's order."""
    last_change: dict[str, datetime] = field(default_factory=dict)
    """Per path: its working-tree modification time, or its newest commit in the window."""

    @property
    def changed_paths(self) -> list[str]:
        """The changed paths, each once."""
        return list(dict.fromkeys(entry.path for entry in self.changed))

    @property
    def recent_paths(self) -> list[str]:
        """Paths that changed recently (committed, or in the working tree), each once."""
        return list(dict.fromkeys([*self.changed_paths, *self.last_change]))


def parse_porcelain_z(output: str) -> list[ChangedPath]:
    """The entries of `git status --porcelain[=v1] -z` output.

    Each entry is `XY PATH` ended by NUL; a rename or copy (`R`/`C` in X) is followed by one
    more NUL-ended field, the path it came from.
    """
    fields = output.split("\0")
    entries: list[ChangedPath] = []
    position = 0
    while position < len(fields):
        record = fields[position]
        position += 1
        if len(record) < 4 or record[2] != " ":
            continue  # the empty field after the last NUL, or nothing git documents
        index, worktree, path = record[0], record[1], record[3:]
        original = None
        if index in "RC" and position < len(fields):
            original = fields[position]
            position += 1
        entries.append(ChangedPath(path, index, worktree, original))
    return entries


def parse_log_z(output: str) -> dict[str, datetime]:
    """Newest commit time per path, from `git log -z --name-only --format=<mark>%ct` output."""
    newest: dict[str, datetime] = {}
    moment: datetime | None = None
    for token in output.split("\0"):
        path = token
        if token.startswith(_COMMIT_MARK):
            stamp, _, path = token[len(_COMMIT_MARK) :].partition("\n")
            moment = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None
        if path and moment is not None and path not in newest:
            newest[path] = moment  # git log lists the newest commit first
    return newest


def changed_paths(top: Path) -> list[ChangedPath]:
    """What `git status` reports as changed in the checkout at `top`."""
    done = run_git(top, *STATUS_ARGS, user_config=True)
    if not done.ok:
        raise WorktreeError(f"`git status` failed in {top}: {done.last_error_line()}")
    return parse_porcelain_z(done.stdout)


def committed_since(top: Path, since: datetime) -> dict[str, datetime]:
    """Newest commit time per path committed on HEAD since `since` (empty without commits)."""
    done = run_git(
        top, "log", "-z", "--name-only", "--no-renames", f"--max-count={MAX_RECENT_COMMITS}",
        f"--since={since.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"--format=format:{_COMMIT_MARK}%ct", "HEAD", "--",
    )  # fmt: skip
    return parse_log_z(done.stdout) if done.ok else {}


def modification_times(top: Path, paths: Iterable[str]) -> dict[str, datetime]:
    """The working-tree modification time of each path that exists."""
    found: dict[str, datetime] = {}
    for path in paths:
        try:
            stamp = os.lstat(top / path).st_mtime
        except OSError:
            continue  # deleted: when is unknown
        found[path] = datetime.fromtimestamp(stamp, UTC)
    return found


def read_worktree(top: Path, since: datetime) -> WorktreeState:
    """The changed paths of the checkout at `top`, and when paths changed since `since`."""
    changed = tuple(changed_paths(top))
    last_change = committed_since(top, since)
    for path, moment in modification_times(top, (entry.path for entry in changed)).items():
        last_change[path] = max(moment, last_change.get(path, moment))
    return WorktreeState(top, changed, last_change)
