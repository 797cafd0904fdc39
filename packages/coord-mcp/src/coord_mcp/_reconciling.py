"""The `reconcile` tool: the working tree against the agent's claims (SPEC §16).

It gives the lists `coord reconcile --json` prints (undeclared edits, idle claims), computed by
the same code (`coord_protocol.worktree` reads git, `coord_protocol.reconcile` judges), and
tells the service what it found (`POST /adherence/reports`, source `reconcile`). Only the
stdio bridge runs in a checkout: on `/mcp` the service has no working tree of the caller's, so
the tool refuses and says where to run it instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio.to_thread
from pydantic import Field

from coord_mcp import _git
from coord_mcp.arguments import ReconcileArguments
from coord_mcp.caller import Caller
from coord_mcp.results import Refusal, ResultModel, ToolResult, refused, succeeded
from coord_protocol.adherence import AdherenceReport, AdherenceReportResponse
from coord_protocol.claims import ClaimList
from coord_protocol.client import Calls
from coord_protocol.errors import CoordError
from coord_protocol.fences import FenceCheckRequest, FenceCheckResponse
from coord_protocol.git import GitUnavailableError
from coord_protocol.reconcile import (
    Reconciliation,
    adherence_bodies,
    exact_pattern,
    fence_bodies,
    reconcile,
)
from coord_protocol.service import WhoAmI
from coord_protocol.worktree import WorktreeError, WorktreeState, read_worktree

logger = logging.getLogger("coord_mcp.reconcile")

MAX_LISTED_CLAIMS = 5000
"""Active claims of the repo read at most (one `GET /claims` page)."""

NO_CHECKOUT = (
    "reconcile reads your working tree, and this MCP endpoint runs inside the coord service, "
    "which has no checkout of yours: nothing was done"
)
RUN_IT_LOCALLY = (
    "Run `coord reconcile` (add --json for these lists) in your checkout, or connect the "
    "stdio bridge (`coord-mcp`, started by your MCP client in the checkout) and call "
    "reconcile there."
)


class HolderResult(ResultModel):
    """Another engineer's claim covering an undeclared edit."""

    engineer: str
    claim_id: str
    pattern: str


class UndeclaredEditResult(ResultModel):
    """A changed file no active claim of yours covers."""

    path: str
    """Repo-relative path."""
    status: str
    """git's status letters (`M`, `A`, `D`, `??`, ...)."""
    fix: str
    """The `coord` command that settles it (claim it, or queue behind its holder)."""
    held_by: list[HolderResult] = Field(default_factory=list)
    """Other engineers' claims covering it; empty when nobody holds it."""


class IdleClaimResult(ResultModel):
    """A claim of yours whose files have not changed for `idle_after_minutes`."""

    claim_id: str
    pattern: str
    engineer: str
    last_change: str
    """The newest change of a file it covers, or its grant (UTC, ISO 8601)."""
    idle_minutes: int
    files: list[str] = Field(default_factory=list)
    """Recently changed files it covers."""
    release: str
    """The `coord` command that releases it."""


class ReconcileResult(ResultModel):
    """Answer of `reconcile`: the lists `coord reconcile --json` prints."""

    engineer: str
    """Whose claims were compared with the working tree."""
    repo: str | None = None
    """The repository id the claims were read in."""
    changed: int = 0
    """Changed paths in the working tree and index."""
    idle_after_minutes: int
    """A claim is idle after this many minutes without a change to its files."""
    clean: bool
    """True when there is no undeclared edit and no idle claim."""
    undeclared_edits: list[UndeclaredEditResult] = Field(default_factory=list)
    """Changed files none of your active claims covers."""
    idle_claims: list[IdleClaimResult] = Field(default_factory=list)
    """Your claims whose files have not changed for `idle_after_minutes`."""
    fixes: list[str] = Field(default_factory=list)
    """One `coord` command per kind of finding, settling all of it at once."""


async def reconcile_tool(caller: Caller, args: ReconcileArguments) -> ToolResult:
    """Compare the checkout with the engineer's claims; report what was found."""
    if caller.repo_root is None:
        return refused(Refusal(code="unsupported", detail=NO_CHECKOUT), RUN_IT_LOCALLY)
    top = _git.checkout_root(caller.repo_root)
    if top is None:
        refusal = Refusal(code="not_a_checkout", detail=f"{caller.repo_root} is not inside a "
                          "git checkout, so there is no working tree to reconcile")  # fmt: skip
        return refused(refusal, "Start the MCP server in your checkout (or set COORD_REPO_ROOT).")
    engineer = caller.identity.acting_engineer(args.engineer) or await _token_engineer(caller)
    if engineer is None:
        refusal = Refusal(code="validation_error", detail="nobody said which engineer's claims "
                          "to compare with the working tree")  # fmt: skip
        return refused(refusal, caller.hints.fix_identity)
    now = datetime.now(UTC)
    state = await _read(top, now, args.idle_minutes)
    if isinstance(state, ToolResult):
        return state
    report = await _reconciled(caller, state, engineer, now, args.idle_minutes)
    await _report_adherence(caller, report)
    return _result(report)


async def _token_engineer(caller: Caller) -> str | None:
    return (await caller.client.send(Calls.get("/whoami"), WhoAmI)).engineer


async def _read(top: Path, now: datetime, idle_minutes: int) -> WorktreeState | ToolResult:
    since = now - timedelta(minutes=idle_minutes)
    try:
        return await anyio.to_thread.run_sync(read_worktree, top, since)
    except (WorktreeError, GitUnavailableError) as exc:
        refusal = Refusal(code="git_failed", detail=f"git could not say what changed: {exc}")
        return refused(refusal, "Check that `git status` works in the checkout, then call again.")


async def _reconciled(
    caller: Caller, state: WorktreeState, engineer: str, now: datetime, idle_minutes: int
) -> Reconciliation:
    repo = caller.identity.repo_id
    verdicts = []
    for body in fence_bodies(state, engineer, repo):
        call = Calls.check_fences(FenceCheckRequest.model_validate(body))
        answer = await caller.client.send(call, FenceCheckResponse)
        verdicts += [verdict.model_dump(mode="json") for verdict in answer.verdicts]
    listing = await caller.client.send(
        Calls.list_claims(repo=repo, limit=str(MAX_LISTED_CLAIMS)), ClaimList
    )
    claims = [claim.model_dump(mode="json") for claim in listing.claims]
    return reconcile(state, verdicts, claims, engineer, now, idle_minutes, repo=repo)


async def _report_adherence(caller: Caller, report: Reconciliation) -> None:
    # The figures are a by-product: a service that cannot take them still gets its answer read.
    try:
        for body in adherence_bodies(report):
            call = Calls.report_adherence(AdherenceReport.model_validate(body))
            await caller.client.send(call, AdherenceReportResponse)
    except CoordError as error:
        logger.info("the service did not take the adherence report: %s", error.detail)


def _result(report: Reconciliation) -> ToolResult:
    payload = ReconcileResult.model_validate(report.to_json())
    if report.clean:
        summary = report.lines()[0]
        return succeeded(summary, "Nothing to settle: keep claiming files before you edit them.",
                         payload)  # fmt: skip
    summary = (f"{len(report.undeclared)} undeclared edit(s) and {len(report.idle)} idle "
               f"claim(s) in {report.changed} changed file(s).")  # fmt: skip
    return succeeded(summary, _next_step(report), payload)


def _next_step(report: Reconciliation) -> str:
    steps = []
    free = [exact_pattern(edit.path) for edit in report.undeclared if not edit.held_by]
    if free:
        steps.append(f"claim_files(patterns={free}) claims the files nobody holds")
    held = [edit for edit in report.undeclared if edit.held_by]
    if held:
        first = held[0].held_by[0]
        steps.append(
            f"{len(held)} file(s) are held by others (e.g. {held[0].path} by {first.engineer}): "
            f"revert your change, request_release(claim_id={first.claim_id!r}, reason=...), or "
            "claim_files with wait_seconds to queue"
        )
    if report.idle:
        ids = [claim.claim_id for claim in report.idle]
        steps.append(f"release_claims(claim_ids={ids}) frees the idle claims if you are done")
    return "; ".join(steps) + "."
