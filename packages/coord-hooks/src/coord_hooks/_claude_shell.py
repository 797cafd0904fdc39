"""The Claude Code hooks around a Bash call: snapshot before, attribute the changes after.

`PreToolUse` only reads the working tree (no service call, no HTTP client loaded): it runs
before every shell command an agent starts. `PostToolUse` asks the service only when the
command changed something.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from coord_hooks import _identity
from coord_hooks._claude_event import (
    TOOL,
    HookAnswer,
    HookEvent,
    setup,
    specific,
    unavailable,
)
from coord_hooks._git import Git
from coord_hooks._shell_snapshot import (
    ShellChange,
    compare,
    save,
    snapshot,
    snapshot_file,
    take_back,
)
from coord_hooks.config import HookConfig
from coord_protocol.errors import CoordError
from coord_protocol.git import GitUnavailableError
from coord_protocol.worktree import WorktreeError


def before(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """Before a shell command: remember what the working tree's changed paths are."""
    config, git = setup(event, environ)
    where = _snapshot_place(event, git) if config.configured else None
    if where is None:
        return HookAnswer()
    top, path = where
    try:
        save(path, snapshot(top))
    except (OSError, WorktreeError, GitUnavailableError) as exc:
        return HookAnswer(warning=f"coord: cannot read the working tree before the command: {exc}")
    return HookAnswer()


def after(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """After a shell command: claim what it changed, or tell the agent who holds it."""
    config, git = setup(event, environ)
    where = _snapshot_place(event, git) if config.configured else None
    taken = take_back(where[1]) if where is not None else None
    if where is None or taken is None:
        return HookAnswer()  # no PreToolUse snapshot: nothing to compare with
    try:
        changes = compare(taken, snapshot(where[0]), where[0])
    except (WorktreeError, GitUnavailableError) as exc:
        return HookAnswer(warning=f"coord: cannot read the working tree after the command: {exc}")
    return _attributed(event, environ, config, git, changes) if changes else HookAnswer()


def _attributed(
    event: HookEvent,
    environ: Mapping[str, str],
    config: HookConfig,
    git: Git,
    changes: list[ShellChange],
) -> HookAnswer:
    # Only a command that changed something needs the service and its client.
    from coord_hooks._client import connect  # noqa: PLC0415
    from coord_hooks._edit_guard import Editor  # noqa: PLC0415
    from coord_hooks._shell_writes import attribute  # noqa: PLC0415

    engineer = _identity.agent(config, git, environ, TOOL)
    branch = config.branch or git.current_branch()
    try:
        with connect(config, event.session_id) as client:
            editor = Editor(client, engineer, event.session_id, config.repo_id, branch)
            result = attribute(editor, changes)
    except CoordError as exc:
        changed = ", ".join(change.path for change in changes[:5])
        return unavailable(config, exc, f"this command's changes to {changed} are not claimed")
    refusal = result.refusal(datetime.now(UTC))
    if refusal is not None:
        return HookAnswer({"decision": "block", "reason": refusal})
    context = result.context()
    return (
        HookAnswer(specific("PostToolUse", additionalContext=context)) if context else HookAnswer()
    )


def _snapshot_place(event: HookEvent, git: Git) -> tuple[Path, Path] | None:
    """The checkout's top and the file of this tool call's before-snapshot."""
    top, git_dir = git.toplevel(), git.git_dir()
    if top is None or git_dir is None or not event.tool_use_id:
        return None
    path = snapshot_file(git_dir, event.tool_use_id)
    return None if path is None else (top, path)
