"""Arguments of the coord tools (SPEC §10.1; `reconcile`: §16): names are a contract,
docstrings are the schema.

Each model's JSON schema is the tool's `inputSchema`, and its attribute docstrings are what an
agent reads about each argument. Unknown arguments are refused, so a misspelt name (`pattern`
for `patterns`) is reported instead of silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from coord_protocol.vocab import RequestDecision, Urgency


def _listify(value: Any) -> Any:
    # Agents often pass one path as a bare string; a list of one means the same.
    return [value] if isinstance(value, str) else value


StringList = Annotated[list[str], BeforeValidator(_listify)]
NonEmptyList = Annotated[list[str], BeforeValidator(_listify), Field(min_length=1)]
Engineer = Annotated[str, Field(min_length=1, max_length=200)]
TtlHours = Annotated[float, Field(gt=0, le=168)]
WaitSeconds = Annotated[int, Field(ge=0, le=600)]
SymbolMap = dict[str, StringList]


class ToolArguments(BaseModel):
    """Base of every tool's arguments."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="forbid")


class ClaimFilesArguments(ToolArguments):
    """Arguments of `claim_files`."""

    engineer: Engineer | None = None
    """Who you are, conventionally `person/tool/worktree` (e.g. `alex/claude/main`). Use the
    same value in every call; your own claims never conflict with each other. When omitted:
    COORD_USER (on `/mcp`, the `X-Coord-User` header), else your token's engineer."""
    patterns: NonEmptyList
    """Repo-relative files or gitignore-style globs you are about to edit, e.g.
    `["src/auth/login.ts", "src/auth/**"]`. Claim only what you will change."""
    description: Annotated[str, Field(max_length=2000)] | None = None
    """What you are doing, shown to anyone your claim blocks."""
    branch: Annotated[str, Field(max_length=300)] | None = None
    """Your git branch; defaults to COORD_BRANCH or the checked-out branch."""
    shared_files: StringList | None = None
    """Files everyone edits cooperatively (lock files, registries): claimed as `shared_file`,
    which never blocks anyone and only tells the other holders."""
    ttl_hours: TtlHours | None = None
    """How long to hold the claims, in (0, 168] hours; the service default applies when absent."""
    symbols: SymbolMap | None = None
    """Claim only named declarations: `{path: [symbol, ...]}`, e.g.
    `{"src/auth/router.ts": ["Router::handleAuth"]}`. Nested symbols use `Parent::child`.
    Others may then edit other symbols of the same file at the same time. A path here that is
    not in `patterns` is claimed too."""
    narrowable: bool | None = None
    """Whether others may claim symbols inside your whole-file claims (your claim then narrows
    around them); default true."""
    wait_seconds: WaitSeconds = 0
    """If the files are held, wait in the queue up to this many seconds (1-600) and be granted
    as soon as the holder releases, instead of being refused at once."""
    urgency: Urgency = Urgency.NORMAL
    """Queue priority while waiting: `low`, `normal`, `high` or `blocking`."""


class CheckConflictsArguments(ToolArguments):
    """Arguments of `check_conflicts`."""

    files: NonEmptyList
    """Files or patterns you want to know about, e.g. the files you plan to edit."""
    engineer: Engineer | None = None
    """Who you are; your own claims never count as conflicts. Defaults as for claim_files."""
    symbols: SymbolMap | None = None
    """Ask about named declarations only: `{path: [symbol, ...]}`."""


class ListClaimsArguments(ToolArguments):
    """Arguments of `list_claims`."""

    active_only: bool = True
    """False also lists released and expired claims (history)."""
    engineer: str | None = None
    """Only claims held by this engineer."""
    module: str | None = None
    """Only claims whose pattern contains this text, e.g. `src/auth`."""


class ReleaseClaimsArguments(ToolArguments):
    """Arguments of `release_claims`."""

    claim_ids: NonEmptyList
    """Ids of the claims to release (from claim_files or list_claims)."""
    engineer: str | None = None
    """When given, only claims held by this engineer are released; otherwise any your token may
    release."""


class ExtendClaimsArguments(ToolArguments):
    """Arguments of `extend_claims`."""

    claim_ids: NonEmptyList
    """Ids of your claims to keep longer."""
    engineer: Engineer | None = None
    """You, the holder. When omitted: COORD_USER (on `/mcp`, the `X-Coord-User` header), else
    whichever engineer your token acts as (`alex` covers `alex/...`)."""
    ttl_hours: TtlHours
    """New lifetime counted from now, in (0, 168] hours."""


class RequestReleaseArguments(ToolArguments):
    """Arguments of `request_release`."""

    claim_id: Annotated[str, Field(min_length=1)]
    """The blocking claim (from the `blockers` of a refused claim_files)."""
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    """Why you need it, shown to the holder."""
    urgency: Urgency = Urgency.NORMAL
    """How urgent: `low`, `normal`, `high` or `blocking`."""
    wait_seconds: WaitSeconds = 0
    """Wait up to this many seconds (1-600) for the holder's decision."""
    requested_scope: Annotated[str, Field(max_length=4096)] | None = None
    """The part you need, if less than the whole claim (a narrower pattern)."""


class RespondToRequestArguments(ToolArguments):
    """Arguments of `respond_to_request`."""

    request_id: Annotated[str, Field(min_length=1)]
    """The release request (from pending_requests)."""
    decision: RequestDecision
    """`approved` (release your claim), `denied` (keep it), `narrowed` (keep only
    `narrowed_pattern`) or `coexist` (let the requester in beside you)."""
    note: Annotated[str, Field(max_length=2000)] | None = None
    """Shown to the requester."""
    narrowed_pattern: Annotated[str, Field(max_length=4096)] | None = None
    """For `narrowed`: the narrower pattern you keep (must lie inside your current one)."""
    coexist_pattern: Annotated[str, Field(max_length=4096)] | None = None
    """For `coexist`: the pattern granted to the requester beside you."""
    coexist_symbols: StringList | None = None
    """For `coexist`: the symbols granted to the requester beside you."""


class WaitForRequestArguments(ToolArguments):
    """Arguments of `wait_for_request`."""

    request_id: Annotated[str, Field(min_length=1)]
    """The release request you filed (from request_release)."""
    timeout: Annotated[int, Field(ge=1, le=600)] = 60
    """Longest wait for the holder's decision, in seconds (1-600)."""


class PendingRequestsArguments(ToolArguments):
    """Arguments of `pending_requests`."""

    session_id: str | None = None
    """Whose inbox; defaults to this MCP server's own session."""


class MyRequestsArguments(ToolArguments):
    """Arguments of `my_requests`."""

    decision: RequestDecision | None = None
    """Only release requests with this decision."""
    queued: bool = False
    """True lists your claims waiting in the queue (with who you wait on) instead of your
    release requests."""
    engineer: str | None = None
    """Whose requests; defaults to COORD_USER, your token's engineer, or the engineer you last
    claimed as."""


class CancelQueueRequestArguments(ToolArguments):
    """Arguments of `cancel_queue_request`."""

    queue_id: Annotated[str, Field(min_length=1)]
    """The waiting entry (from my_requests(queued=true) or a queued claim_files)."""
    engineer: str | None = None
    """When given, the entry is cancelled only if this engineer is the one waiting."""


class ReleaseSessionArguments(ToolArguments):
    """Arguments of `release_session`."""

    session_id: str | None = None
    """The session to end; defaults to this MCP server's own session."""


class ReconcileArguments(ToolArguments):
    """Arguments of `reconcile`."""

    engineer: Engineer | None = None
    """Whose claims to compare with the working tree; default COORD_USER, else your token's
    engineer. Claims of names beneath it count too (`alex` owns `alex/claude/main`'s)."""
    idle_minutes: Annotated[int, Field(ge=1, le=10080)] = 30
    """A claim whose files have not changed for this many minutes is listed as idle."""
