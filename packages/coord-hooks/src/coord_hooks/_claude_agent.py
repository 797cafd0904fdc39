"""The Claude Code hooks of a session and its file edits: session start, edit guard, end."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from coord_hooks import _identity
from coord_hooks._claude_event import (
    TOOL,
    UNCONFIGURED,
    HookAnswer,
    HookEvent,
    setup,
    specific,
    unavailable,
)
from coord_hooks._client import connect, list_claim_rows, release_session
from coord_hooks._edit_guard import EDIT_TOOLS, Edit, Editor, guard
from coord_hooks._git import Git
from coord_hooks._http import HookClient
from coord_hooks._paths import repo_relative
from coord_hooks._session_context import claims_context
from coord_hooks._session_reconcile import reconcile_checkout, summary_lines
from coord_hooks._wire import checked, claims_of
from coord_hooks.config import HookConfig
from coord_protocol.errors import CoordError
from coord_protocol.git import GitUnavailableError
from coord_protocol.worktree import WorktreeError


def session_start(event: HookEvent, environ: Mapping[str, str]) -> HookAnswer:
    """Touch the session and give the agent the repo's active claims as context."""
    config, git = setup(event, environ)
    if not config.configured:
        return HookAnswer(warning=UNCONFIGURED)
    engineer = _identity.agent(config, git, environ, TOOL)
    try:
        with connect(config, event.session_id) as client:
            rows = list_claim_rows(client, repo=config.repo_id)
            listing = checked("GET /claims", claims_of, {"claims": rows})
            summary = _reconcile_summary(client, config, git, environ, rows)
    except CoordError as exc:
        return unavailable(config, exc, "claims are not shown")
    claims = [claim for claim in listing if claim.repo == config.repo_id]
    context = claims_context(claims, engineer, event.session_id, datetime.now(UTC))
    return HookAnswer(specific("SessionStart", additionalContext="\n".join([context, *summary])))


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
    """Claim the edited file for the session, or deny the edit when someone else holds it."""
    if event.tool_name not in EDIT_TOOLS:
        return HookAnswer()
    config, git = setup(event, environ)
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
        return unavailable(config, exc, f"{edit.path} was edited without a claim")
    if refusal is None:
        return HookAnswer()
    decision = {"permissionDecision": "deny", "permissionDecisionReason": refusal}
    return HookAnswer(specific("PreToolUse", **decision))


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
    config, _ = setup(event, environ)
    if not config.configured:
        return HookAnswer()
    try:
        with connect(config, event.session_id) as client:
            release_session(client, event.session_id, config.repo_id)
    except CoordError as exc:
        return unavailable(config, exc, "the session's claims stay until they expire")
    return HookAnswer()


HANDLERS: Mapping[str, Callable[[HookEvent, Mapping[str, str]], HookAnswer]] = {
    "session-start": session_start,
    "pre-tool-use": pre_tool_use,
    "post-tool-use": lambda _event, _environ: HookAnswer(),  # only Bash is looked at after
    "session-end": session_end,
}
"""The handler of each event, for tools other than Bash."""
