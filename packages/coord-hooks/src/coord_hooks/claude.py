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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from coord_hooks import _identity
from coord_hooks._client import connect, explain, list_claim_rows, release_session
from coord_hooks._edit_guard import EDIT_TOOLS, Edit, Editor, guard
from coord_hooks._git import Git
from coord_hooks._http import HookClient
from coord_hooks._paths import repo_relative
from coord_hooks._render import wrap
from coord_hooks._session_context import claims_context
from coord_hooks._session_reconcile import reconcile_checkout, summary_lines
from coord_hooks._shell_snapshot import (
    ShellChange,
    compare,
    save,
    snapshot,
    snapshot_file,
    take_back,
)
from coord_hooks._shell_writes import attribute
from coord_hooks._wire import checked, claims_of
from coord_hooks.config import HookConfig, resolve_hook_config
from coord_protocol.errors import CoordError
from coord_protocol.git import GitUnavailableError
from coord_protocol.text import printable
from coord_protocol.worktree import WorktreeError

EVENTS = ("session-start", "pre-tool-use", "post-tool-use", "session-end")
"""The `coord-hook claude` subcommands, one per Claude Code hook event."""

SHELL_TOOL = "Bash"
"""The tool whose writes no edit hook sees: its changes are read from the working tree."""

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
            rows = list_claim_rows(client, repo=config.repo_id)
            listing = checked("GET /claims", claims_of, {"claims": rows})
            summary = _reconcile_summary(client, config, git, environ, rows)
    except CoordError as exc:
        return _unavailable(config, exc, "claims are not shown")
    claims = [claim for claim in listing if claim.repo == config.repo_id]
    context = claims_context(claims, engineer, event.session_id, datetime.now(UTC))
    return HookAnswer(_specific("SessionStart", additionalContext="\n".join([context, *summary])))


def _reconcile_summary(
    client: HookClient,
    config: HookConfig,
    git: Git,
    environ: Mapping[str, str],
    rows: list[Any],
) -> list[str]:
    """The working tree against the person's claims, as `coord reconcile` sees it; nothing
    when it cannot be read (the session starts all the same)."""
    top = git.toplevel()
    if top is None:
        return []
    person = _identity.pusher(config, git, environ)
    try:
        report = reconcile_checkout(client, top, person, config.repo_id, rows, datetime.now(UTC))
    except (CoordError, WorktreeError, GitUnavailableError, KeyError, TypeError, ValueError):
        return []
    return summary_lines(report)


def pre_tool_use(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """Claim the edited file for the session, or deny the edit when someone else holds it;
    before a shell command, remember what the working tree's changed paths are."""
    if event.tool_name == SHELL_TOOL:
        return _before_shell(event, environ)
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


def _before_shell(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    config, git = _setup(event, environ)
    where = _snapshot_place(event, git) if config.configured else None
    if where is None:
        return HookAnswer()
    top, path = where
    try:
        save(path, snapshot(top))
    except (OSError, WorktreeError, GitUnavailableError) as exc:
        return HookAnswer(warning=f"coord: cannot read the working tree before the command: {exc}")
    return HookAnswer()


def post_tool_use(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """After a shell command: claim what it changed, or tell the agent who holds it."""
    if event.tool_name != SHELL_TOOL:
        return HookAnswer()
    config, git = _setup(event, environ)
    where = _snapshot_place(event, git) if config.configured else None
    before = take_back(where[1]) if where is not None else None
    if where is None or before is None:
        return HookAnswer()  # no PreToolUse snapshot: nothing to compare with
    try:
        changes = compare(before, snapshot(where[0]))
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
    engineer = _identity.agent(config, git, environ, TOOL)
    branch = config.branch or git.current_branch()
    try:
        with connect(config, event.session_id) as client:
            editor = Editor(client, engineer, event.session_id, config.repo_id, branch)
            result = attribute(editor, changes)
    except CoordError as exc:
        changed = ", ".join(change.path for change in changes[:5])
        return _unavailable(config, exc, f"this command's changes to {changed} are not claimed")
    refusal = result.refusal(datetime.now(UTC))
    if refusal is not None:
        return HookAnswer({"decision": "block", "reason": refusal})
    context = result.context()
    return (
        HookAnswer(_specific("PostToolUse", additionalContext=context)) if context else HookAnswer()
    )


def _snapshot_place(event: HookEvent, git: Git) -> tuple[Path, Path] | None:
    """The checkout's top and the file of this tool call's before-snapshot."""
    top, git_dir = git.toplevel(), git.git_dir()
    if top is None or git_dir is None or not event.tool_use_id:
        return None
    path = snapshot_file(git_dir, event.tool_use_id)
    return None if path is None else (top, path)


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
    "post-tool-use": post_tool_use,
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
