"""A Claude Code hook call, read from its payload, and the answer a hook gives.

Shared by the handlers of each event (`_claude_agent`, `_claude_shell`); light on purpose, as
every agent tool call starts a hook process that imports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coord_hooks._explain import explain
from coord_hooks._git import Git
from coord_hooks.config import HookConfig, resolve_hook_config
from coord_protocol.errors import CoordError

SHELL_TOOL = "Bash"
"""The tool whose writes no edit hook sees: its changes are read from the working tree."""

TOOL = "claude"
"""The tool segment of a derived engineer name (`person/claude/worktree`)."""

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
"""coord-protocol's session id pattern (`_base.SESSION_ID_PATTERN`, which a test holds this
equal to), copied so that reading a payload does not load pydantic."""

UNCONFIGURED = (
    "coord: this checkout is not wired to a coord service (no .coordination/local.env); "
    "edits are not claimed or checked. Run `coord init` to wire it."
)

_SESSION = re.compile(SESSION_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class HookEvent:
    """The parts of a Claude Code hook payload the hooks use."""

    session_id: str
    """Claude Code's session id, used as the coord session id."""
    cwd: Path
    """Directory the session runs in."""
    tool_name: str | None = None
    """Tool about to run (PreToolUse)."""
    tool_input: Mapping[str, Any] = field(default_factory=dict)
    """The tool's arguments (PreToolUse); `file_path` names the file."""
    tool_use_id: str | None = None
    """Claude Code's id of the tool call, the same in its PreToolUse and PostToolUse."""


@dataclass(frozen=True, slots=True)
class HookAnswer:
    """What a hook prints: a JSON object for Claude Code, and warnings for the user."""

    output: dict[str, Any] | None = None
    """The JSON object written to stdout, if any."""
    warning: str | None = None
    """A problem to report on stderr and in `systemMessage`; the hook still exits 0."""


def read_event(text: str, default_cwd: Path) -> HookEvent:
    """The hook payload in `text`; raises `ValueError` naming what is missing or malformed."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the hook payload on stdin is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise ValueError("the hook payload is not a JSON object")
    session_id = payload.get("session_id")
    if not isinstance(session_id, str) or _SESSION.fullmatch(session_id) is None:
        raise ValueError(
            f"the payload's session_id {session_id!r} is not 1-128 characters "
            "of A-Z a-z 0-9 . _ : -"
        )
    cwd = payload.get("cwd")
    tool_input = payload.get("tool_input")
    return HookEvent(
        session_id=session_id,
        cwd=Path(cwd) if isinstance(cwd, str) and cwd else default_cwd,
        tool_name=_text(payload, "tool_name"),
        tool_input=tool_input if isinstance(tool_input, dict) else {},
        tool_use_id=_text(payload, "tool_use_id"),
    )


def _text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) else None


def setup(event: HookEvent, environ: Mapping[str, str]) -> tuple[HookConfig, Git]:
    """The configuration in effect where the session runs, and git there."""
    git = Git(event.cwd)
    main_checkout = git.main_checkout()
    config = resolve_hook_config(environ, event.cwd, [main_checkout] if main_checkout else [])
    return config, git


def unavailable(config: HookConfig, error: CoordError, consequence: str) -> HookAnswer:
    """The warning of a hook that could not ask the service: what happened, what it means."""
    return HookAnswer(warning=f"coord: {explain(config, error)} ({consequence}).")


def specific(event_name: str, **fields: str) -> dict[str, Any]:
    """A `hookSpecificOutput` answer."""
    return {"hookSpecificOutput": {"hookEventName": event_name, **fields}}
