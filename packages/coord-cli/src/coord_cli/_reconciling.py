"""A checkout reconciled with the service's claims: the calls `coord reconcile` and
`coord claim --from-worktree` make, around the shared logic of `coord_protocol.reconcile`."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coord_cli._git import find_checkout, require_checkout, run_git
from coord_cli.errors import CliError, ExitCode
from coord_cli.target import Target
from coord_protocol.adherence import AdherenceReport, AdherenceReportResponse
from coord_protocol.client import Calls, CoordClient
from coord_protocol.errors import CoordError
from coord_protocol.fences import FenceCheckRequest
from coord_protocol.git import GitUnavailableError
from coord_protocol.local_env import resolve_local_env
from coord_protocol.reconcile import Reconciliation, adherence_bodies, fence_bodies, reconcile
from coord_protocol.worktree import WorktreeError, WorktreeState, read_worktree

MAX_LISTED_CLAIMS = 5000
"""Active claims of the repo read at most (`GET /claims` allows no more)."""


def checkout_top(cwd: Path) -> Path:
    """The top directory of the checkout around `cwd` (a clear error outside one)."""
    return require_checkout(cwd).top


def find_top(cwd: Path) -> Path | None:
    """The top directory of the checkout around `cwd`, or None outside one."""
    checkout = find_checkout(cwd)
    return checkout.top if checkout is not None else None


def engineer_for(client: CoordClient, named: str | None, top: Path | None) -> str:
    """Whose claims count: `--engineer`, else COORD_USER, else the token's engineer, else the
    person git names as the author (the email's local part); claims of NAME/... count too."""
    if named:
        return named
    user = resolve_local_env(os.environ, top or Path.cwd()).real("COORD_USER")
    if user:
        return user
    token_engineer = client.whoami().engineer
    if token_engineer:
        return token_engineer
    if top is None:
        raise CliError("cannot tell who claims", "pass --engineer NAME, or set COORD_USER",
                       ExitCode.USAGE)  # fmt: skip
    person = _git_person(top)
    if person:
        return person
    raise CliError("cannot tell whose claims to check", "pass --engineer NAME, or set COORD_USER "
                   "in .coordination/local.env", ExitCode.USAGE)  # fmt: skip


def _git_person(top: Path) -> str | None:
    """The local part of the author's email, as git resolves it (environment, then config)."""
    ident = run_git(top, "var", "GIT_AUTHOR_IDENT").answer() or ""
    email = ident.partition("<")[2].partition(">")[0]
    return email.partition("@")[0].strip() or None


def read_state(top: Path, now: datetime, idle_minutes: int) -> WorktreeState:
    """What changed in the checkout, and when paths changed within the idle window."""
    try:
        return read_worktree(top, now - timedelta(minutes=idle_minutes))
    except (WorktreeError, GitUnavailableError) as exc:
        raise CliError(str(exc), "run it inside a git checkout where `git status` works",
                       ExitCode.NOT_CONFIGURED) from exc  # fmt: skip


def reconcile_checkout(
    client: CoordClient, target: Target, top: Path, engineer: str, idle_minutes: int
) -> tuple[WorktreeState, Reconciliation]:
    """The working tree of `top` against `engineer`'s claims in the checkout's repo."""
    now = datetime.now(UTC)
    state = read_state(top, now, idle_minutes)
    repo = target.repo_id
    verdicts = [
        verdict.model_dump(mode="json")
        for body in fence_bodies(state, engineer, repo)
        for verdict in client.check_fences(FenceCheckRequest.model_validate(body)).verdicts
    ]
    listing = client.list_claims(repo=repo, limit=str(MAX_LISTED_CLAIMS))
    claims = [claim.model_dump(mode="json") for claim in listing.claims]
    report = reconcile(state, verdicts, claims, engineer, now, idle_minutes, repo=repo)
    return state, report


def report_adherence(client: CoordClient, report: Reconciliation) -> None:
    """Tell the service what reconcile found (its adherence figures, SPEC §16); a service that
    cannot take the report (an older one, a lost connection) costs the command nothing."""
    try:
        for body in adherence_bodies(report):
            call = Calls.report_adherence(AdherenceReport.model_validate(body))
            client.send(call, AdherenceReportResponse)
    except CoordError:
        return
