"""`coord-hook claude <event>`: Claude Code hooks that keep an agent inside the protocol.

Claude Code runs a hook command with one JSON object on stdin (`session_id`, `cwd`,
`hook_event_name`, and for tool events `tool_name` and `tool_input`) and reads a JSON object from
stdout when the hook exits 0:

- `session-start` (SessionStart) touches the session and adds the repo's active claims to the
  agent's context (`hookSpecificOutput.additionalContext`), with a short reconcile summary of
  the working tree (undeclared edits, idle claims);
- `pre-tool-use` (PreToolUse on Edit|Write|MultiEdit) claims the file for the session, or denies
  the edit (`permissionDecision: "deny"` with a reason the agent reads) when another engineer
  holds it. An allowed edit gets no decision at all, so the user's own permission rules still
  apply. On Bash it snapshots the working tree's changed paths;
- `post-tool-use` (PostToolUse on Bash) compares the working tree with that snapshot, claims
  the paths the command changed, and when another engineer holds one, tells the agent who, what
  the command did to it, and the next step (`decision: "block"` with the reason);
- `session-end` (SessionEnd) releases every claim of the session.

A hook never stands in the way because coord is down or misconfigured: it warns on stderr and
in `systemMessage` (shown to the user) and exits 0 without a decision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from coord_hooks._claude_event import (
    SESSION_ID_PATTERN,
    SHELL_TOOL,
    HookAnswer,
    HookEvent,
    read_event,
)
from coord_protocol.errors import CoordError
from coord_protocol.text import printable

EVENTS = ("session-start", "pre-tool-use", "post-tool-use", "session-end")
"""The `coord-hook claude` subcommands, one per Claude Code hook event."""

__all__ = ["EVENTS", "SESSION_ID_PATTERN", "read_event", "run"]


def run(
    event_name: str, stdin: TextIO, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str]
) -> int:
    """Handle one hook call; always exits 0 so that a coord problem never stops the agent."""
    try:
        event = read_event(stdin.read(), Path.cwd())
        answer = _handle(event_name, event, environ)
    except (ValueError, CoordError) as exc:
        answer = HookAnswer(warning=f"coord-hook claude {event_name}: {exc}")
    _emit(answer, stdout, stderr)
    return 0


def _handle(event_name: str, event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    # Each kind of call imports what it needs when it comes: the Bash hooks run around every
    # shell command, and the snapshot before one needs neither the HTTP client nor the guard.
    if event.tool_name == SHELL_TOOL and event_name in ("pre-tool-use", "post-tool-use"):
        from coord_hooks import _claude_shell  # noqa: PLC0415

        handler = _claude_shell.before if event_name == "pre-tool-use" else _claude_shell.after
        return handler(event, environ)
    from coord_hooks._claude_agent import HANDLERS  # noqa: PLC0415

    return HANDLERS[event_name](event, environ)


def _emit(answer: HookAnswer, stdout: TextIO, stderr: TextIO) -> None:
    output = dict(answer.output or {})
    if answer.warning:
        from coord_hooks._render import wrap  # noqa: PLC0415 - only a warning is folded

        stderr.write(wrap(answer.warning) + "\n")
        output["systemMessage"] = printable(answer.warning)
    if output:
        stdout.write(json.dumps(output) + "\n")
