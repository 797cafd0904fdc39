"""The git hooks (pre-push, prepare-commit-msg): installed once in the repository's hooks
directory, shared by worktrees.

coord's hooks carry the marker `coord-managed`, so a later `coord init` recognises and updates
them. Any other hook of the same name belongs to someone else: it is kept (with a note saying
how to chain it) unless `--force`, which backs it up before replacing it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from coord_cli._files import Action, FileChange, free_backup_path, plan_text

HOOK_NAME = "pre-push"
COMMIT_MSG_HOOK = "prepare-commit-msg"
HOOK_NAMES = (HOOK_NAME, COMMIT_MSG_HOOK)
"""Every git hook `coord init` installs, each calling `coord-hook <name>`."""
MARKER = "coord-managed"
EXECUTABLE = 0o755


@dataclass(frozen=True, slots=True)
class HookState:
    """What is installed as one git hook."""

    path: Path
    exists: bool
    ours: bool
    executable: bool


def hook_state(hooks_dir: Path, name: str = HOOK_NAME) -> HookState:
    """Whether the hook `name` exists there, is coord's, and can be run."""
    path = hooks_dir / name
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return HookState(path, exists=False, ours=False, executable=False)
    runnable = bool(path.stat().st_mode & stat.S_IXUSR) and os.access(path, os.X_OK)
    return HookState(path, exists=True, ours=MARKER in text, executable=runnable)


def plan_hook(
    hooks_dir: Path, shown: str, template: str, force: bool, name: str = HOOK_NAME
) -> FileChange:
    """The change that installs coord's hook `name`, keeping or backing up a foreign one."""
    state = hook_state(hooks_dir, name)
    if not state.exists or state.ours:
        return plan_text(state.path, shown, template, mode=EXECUTABLE, tracked=False)
    if not force:
        return FileChange(
            state.path, shown, Action.KEEP, tracked=False,
            note=f"another {name} hook is installed; `coord init --force` replaces it "
            f"(keeping a backup), or call `coord-hook {name} \"$@\"` from it yourself",
        )  # fmt: skip
    backup = free_backup_path(state.path)
    return FileChange(
        state.path, shown, Action.REPLACE, template.encode("utf-8"), EXECUTABLE, tracked=False,
        backup=backup, note=f"the previous hook is saved as {backup.name}",
    )  # fmt: skip
