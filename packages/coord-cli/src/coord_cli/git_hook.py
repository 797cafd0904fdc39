"""The pre-push hook: installed once in the repository's hooks directory, shared by worktrees.

coord's hook carries the marker `coord-managed`, so a later `coord init` recognises and updates
it. Any other pre-push hook belongs to someone else: it is kept (with a note saying how to chain
it) unless `--force`, which backs it up before replacing it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from coord_cli._files import Action, FileChange, free_backup_path, plan_text

HOOK_NAME = "pre-push"
MARKER = "coord-managed"
EXECUTABLE = 0o755


@dataclass(frozen=True, slots=True)
class HookState:
    """What is installed as the pre-push hook."""

    path: Path
    exists: bool
    ours: bool
    executable: bool


def hook_state(hooks_dir: Path) -> HookState:
    """Whether a pre-push hook exists there, is coord's, and can be run."""
    path = hooks_dir / HOOK_NAME
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return HookState(path, exists=False, ours=False, executable=False)
    runnable = bool(path.stat().st_mode & stat.S_IXUSR) and os.access(path, os.X_OK)
    return HookState(path, exists=True, ours=MARKER in text, executable=runnable)


def plan_hook(hooks_dir: Path, shown: str, template: str, force: bool) -> FileChange:
    """The change that installs coord's hook, keeping or backing up a foreign one."""
    state = hook_state(hooks_dir)
    if not state.exists or state.ours:
        return plan_text(state.path, shown, template, mode=EXECUTABLE, tracked=False)
    if not force:
        return FileChange(
            state.path, shown, Action.KEEP, tracked=False,
            note="another pre-push hook is installed; `coord init --force` replaces it "
            "(keeping a backup), or call `coord-hook pre-push \"$@\"` from it yourself",
        )  # fmt: skip
    backup = free_backup_path(state.path)
    return FileChange(
        state.path, shown, Action.REPLACE, template.encode("utf-8"), EXECUTABLE, tracked=False,
        backup=backup, note=f"the previous hook is saved as {backup.name}",
    )  # fmt: skip
