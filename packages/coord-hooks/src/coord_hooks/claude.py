"""`coord-hook claude <event>`: Claude Code hooks that keep an agent inside the protocol.

Claude Code runs a hook command with one JSON object on stdin (`session_id`, `cwd`,
`hook_event_name`, and for tool events `tool_name` and `tool_input`) and reads a JSON object from
stdout when the hook exits 0:

- `session-start` (SessionStart) touches the session and adds the repo's active claims to the
  agent's context (`hookSpecificOutput.additionalContext`);
- `pre-tool-use` (PreToolUse on Edit|Write|MultiEdit) claims the file for the session, or denies
  the edit (`permissionDecision: "deny"` with a reason the agent reads) when another engineer
  holds it. An allowed edit gets no decision at all, so the user's own permission rules still
  apply;
- `session-end` (SessionEnd) releases every claim of the session.

A hook never stands in the way because coord is down or misconfigured: it warns on stderr and
in `systemMessage` (shown to the user) and exits 0 without a decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from coord_hooks import _identity
from coord_hooks._client import connect, explain, list_claims, release_session
from coord_hooks._edit_guard import EDIT_TOOLS, Edit, Editor, guard
from coord_hooks._git import Git
from coord_hooks._paths import repo_relative
from coord_hooks._render import wrap
from coord_hooks._session_context import claims_context
from coord_hooks.config import HookConfig, resolve_hook_config
from coord_protocol.errors import CoordError
from coord_protocol.text import printable

EVENTS = ("session-start", "pre-tool-use", "session-end")
"""The `coord-hook claude` subcommands, one per Claude Code hook event."""

TOOL = "claude"
"""The tool segment of a derived engineer name (`person/claude/worktree`)."""

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
"""coord-protocol's session id pattern (`_base.SESSION_ID_PATTERN`, which a test holds this
equal to), copied so that reading a payload does not load pydantic."""

_SESSION = re.compile(SESSION_ID_PATTERN)
_UNCONFIGURED = (
    "coord: this checkout is not wired to a coord service (no .coordination/local.env); "
    "edits are not claimed or checked. Run `coord init` to wire it."
)


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
        tool_name=payload.get("tool_name") if isinstance(payload.get("tool_name"), str) else None,
        tool_input=tool_input if isinstance(tool_input, dict) else {},
    )


def run(
    event_name: str, stdin: TextIO, stdout: TextIO, stderr: TextIO, environ: Mapping[str, str]
) -> int:
    """Handle one hook call; always exits 0 so that a coord problem never stops the agent."""
    try:
        event = read_event(stdin.read(), Path.cwd())
        answer = _HANDLERS[event_name](event, environ)
    except (ValueError, CoordError) as exc:
        answer = HookAnswer(warning=f"coord-hook claude {event_name}: {exc}")
    _emit(answer, stdout, stderr)
    return 0


def session_start(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """Touch the session and give the agent the repo's active claims as context."""
    config, git = _setup(event, environ)
    if not config.configured:
        return HookAnswer(warning=_UNCONFIGURED)
    engineer = _identity.agent(config, git, environ, TOOL)
    try:
        with connect(config, event.session_id) as client:
            listing = list_claims(client, repo=config.repo_id)
    except CoordError as exc:
        return _unavailable(config, exc, "claims are not shown")
    claims = [claim for claim in listing if claim.repo == config.repo_id]
    context = claims_context(claims, engineer, event.session_id, datetime.now(UTC))
    return HookAnswer(_specific("SessionStart", additionalContext=context))


def pre_tool_use(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """Claim the edited file for the session, or deny the edit when someone else holds it."""
    if event.tool_name not in EDIT_TOOLS:
        return HookAnswer()
    config, git = _setup(event, environ)
    edit = _edit_of(event, git) if config.configured else None  # unwired: said at start
    if edit is None:
        return HookAnswer()
    branch = config.branch or git.current_branch()
    engineer = _identity.agent(config, git, environ, TOOL)
    try:
        with connect(config, event.session_id) as client:
            editor = Editor(client, engineer, event.session_id, config.repo_id, branch)
            refusal = guard(editor, edit)
    except CoordError as exc:
        return _unavailable(config, exc, f"{edit.path} was edited without a claim")
    if refusal is None:
        return HookAnswer()
    decision = {"permissionDecision": "deny", "permissionDecisionReason": refusal}
    return HookAnswer(_specific("PreToolUse", **decision))


def _edit_of(event: HookEvent, git: Git) -> Edit | None:
    """The edit the tool call makes, or None for a file outside the checkout (or no file)."""
    file_path = event.tool_input.get("file_path")
    checkout = git.toplevel()
    if not isinstance(file_path, str) or not file_path or checkout is None:
        return None
    path = repo_relative(event.cwd / file_path, checkout)
    if path is None:
        return None
    return Edit(checkout, path, str(event.tool_name), event.tool_input)


def session_end(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """Release every claim of the session."""
    config, _ = _setup(event, environ)
    if not config.configured:
        return HookAnswer()
    try:
        with connect(config, event.session_id) as client:
            release_session(client, event.session_id, config.repo_id)
    except CoordError as exc:
        return _unavailable(config, exc, "the session's claims stay until they expire")
    return HookAnswer()


_HANDLERS = {
    "session-start": session_start,
    "pre-tool-use": pre_tool_use,
    "session-end": session_end,
}


def _setup(event: HookEvent, environ: Mapping[str, str]) -> tuple[HookConfig, Git]:
    git = Git(event.cwd)
    main_checkout = git.main_checkout()
    config = resolve_hook_config(environ, event.cwd, [main_checkout] if main_checkout else [])
    return config, git


def _unavailable(config: HookConfig, error: CoordError, consequence: str) -> HookAnswer:
    return HookAnswer(warning=f"coord: {explain(config, error)} ({consequence}).")


def _specific(event_name: str, **fields: str) -> dict[str, Any]:
    return {"hookSpecificOutput": {"hookEventName": event_name, **fields}}


def _emit(answer: HookAnswer, stdout: TextIO, stderr: TextIO) -> None:
    output = dict(answer.output or {})
    if answer.warning:
        stderr.write(wrap(answer.warning) + "\n")
        output["systemMessage"] = printable(answer.warning)
    if output:
        stdout.write(json.dumps(output) + "\n")
