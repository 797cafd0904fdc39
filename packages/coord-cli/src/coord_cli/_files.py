"""Planned file changes: computed first (so `coord init` can show and confirm them), then applied.

Every write is atomic (a temporary file in the same directory, then a rename), so an interrupted
run never leaves half a file. A symlinked file is written through its link.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

NEW_FILE_MODE = 0o644


class Action(StrEnum):
    """What happens to one file."""

    CREATE = "created"
    UPDATE = "updated"
    UNCHANGED = "unchanged"
    KEEP = "kept"
    """Left alone on purpose although it is not what coord would write (see the note)."""
    REPLACE = "replaced"
    """Overwritten with `--force`; the old file was backed up."""


WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE})


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of the plan."""

    path: Path
    """Absolute path."""
    shown: str
    """How the path is shown to the user (relative to the checkout when inside it)."""
    action: Action
    content: bytes | None = None
    """New content; None when nothing is written."""
    mode: int | None = None
    """Permission bits the file must have (e.g. 0600 for secrets); None keeps the current ones."""
    tracked: bool = True
    """Whether the file belongs in git (shown in the "commit these" hint)."""
    backup: Path | None = None
    """Where the old file goes before a REPLACE."""
    note: str = ""
    """Why, for KEEP and REPLACE, or what changed."""


def plan_text(
    path: Path, shown: str, text: str, *, mode: int | None = None, tracked: bool = True
) -> FileChange:
    """The change that makes `path` hold `text` (and `mode`), or UNCHANGED when it already does."""
    content = text.encode("utf-8")
    target = _through_link(path)
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        return FileChange(path, shown, Action.CREATE, content, mode, tracked)
    if current != content:
        return FileChange(path, shown, Action.UPDATE, content, mode, tracked)
    if mode is not None and stat.S_IMODE(target.stat().st_mode) != mode:
        return FileChange(path, shown, Action.UPDATE, content, mode, tracked, note=f"mode {mode:o}")
    return FileChange(path, shown, Action.UNCHANGED, None, mode, tracked)


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return _through_link(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def apply(change: FileChange) -> None:
    """Carry out one planned change."""
    if change.action not in WRITES or change.content is None:
        return
    target = _through_link(change.path)
    if change.backup is not None:
        shutil.copy2(target, change.backup)
    mode = change.mode
    if mode is None:
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else NEW_FILE_MODE
    write_atomic(target, change.content, mode)


def write_atomic(path: Path, content: bytes, mode: int) -> None:
    """Write `content` to `path` with permission bits `mode`, all at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(scratch, mode)  # the umask may have taken bits away
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


def free_backup_path(path: Path) -> Path:
    """`<name>.coord-backup`, numbered when that exists already."""
    candidate = path.with_name(f"{path.name}.coord-backup")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.coord-backup.{number}")
        number += 1
    return candidate


def _through_link(path: Path) -> Path:
    return path.resolve() if path.is_symlink() else path
