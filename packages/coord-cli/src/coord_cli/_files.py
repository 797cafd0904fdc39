"""Planned file changes: computed first (so `coord init` can show and confirm them), then applied.

Every write is atomic (a temporary file in the same directory, then a rename), so an interrupted
run never leaves half a file. A symlinked file is written through its link (CLAUDE.md is often a
link to AGENTS.md), except a secret: `.coordination/local.env` is born 0600 and never written
through a symlink, so a link planted there cannot carry the token into a file someone else reads.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from coord_cli.errors import CliError, ExitCode

NEW_FILE_MODE = 0o644
SECRET_MODE = 0o600
NEW_DIR_MODE = 0o755
"""A directory coord creates is never writable by others, whatever the umask allows."""


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
    secret: bool = False
    """Holds a token: written with `SECRET_MODE`, never through a symlink (`write_secret`)."""


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


def plan_secret(path: Path, shown: str, text: str) -> FileChange:
    """`plan_text` for a file holding a token: mode 0600, refused when a symlink is in the way."""
    refuse_links(path)
    content = text.encode("utf-8")
    current = read_secret(path)
    if current is None:
        return FileChange(path, shown, Action.CREATE, content, SECRET_MODE, False, secret=True)
    if current.encode("utf-8") != content:
        return FileChange(path, shown, Action.UPDATE, content, SECRET_MODE, False, secret=True)
    if stat.S_IMODE(path.stat().st_mode) != SECRET_MODE:
        return FileChange(path, shown, Action.UPDATE, content, SECRET_MODE, False,
                          note=f"mode {SECRET_MODE:o}", secret=True)  # fmt: skip
    return FileChange(path, shown, Action.UNCHANGED, None, SECRET_MODE, False, secret=True)


def refuse_links(path: Path) -> None:
    """A `CliError` when `path` or its directory is a symlink: a secret is never written there."""
    for candidate in (path.parent, path):
        if candidate.is_symlink():
            raise CliError(
                f"{candidate} is a symlink; coord never writes a token through one",
                f"remove the link (`rm {candidate}`) and run the command again",
                ExitCode.FAILED,
            )


def read_secret(path: Path) -> str | None:
    """The text of a secret file without following a symlink; None when it does not exist."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        refuse_links(path)  # ELOOP: explain the link rather than the errno
        raise _unwritable(path, exc) from exc
    with os.fdopen(descriptor, "rb") as handle:
        content = handle.read()
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(
            f"{path} is not UTF-8 text", "fix or delete it, then run the command again"
        ) from None


def write_secret(path: Path, content: bytes) -> None:
    """Write a secret to `path`: created 0600 and never through a symlink, atomically.

    The directory is opened without following a link and every step works relative to it, so a
    link swapped in after the check is refused too. The scratch file is created 0600 with
    `O_EXCL`, so the secret is never readable by others, not even for a moment.
    """
    path.parent.mkdir(mode=NEW_DIR_MODE, parents=True, exist_ok=True)
    refuse_links(path)
    try:
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    try:
        _replace_in(directory, path.name, content)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    finally:
        os.close(directory)


def _replace_in(directory: int, name: str, content: bytes) -> None:
    scratch = f".{name}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(scratch, flags, SECRET_MODE, dir_fd=directory)
    try:
        os.fchmod(descriptor, SECRET_MODE)  # before the secret, whatever the umask did
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        # A rename replaces a symlink at `name` itself, never the file it points to.
        os.replace(scratch, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        os.unlink(scratch, dir_fd=directory)
        raise


def _unwritable(path: Path, exc: OSError) -> CliError:
    return CliError(
        f"cannot write {path} ({exc.strerror or exc})",
        "check that the directory is yours and not a symlink, then run the command again",
        ExitCode.FAILED,
    )


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
    if change.secret:
        write_secret(change.path, change.content)
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
    path.parent.mkdir(mode=NEW_DIR_MODE, parents=True, exist_ok=True)
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
