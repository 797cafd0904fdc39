"""`coord claims` and `coord release`: what is held right now, and releasing it by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from coord_cli._output import emit_json, say, table, warn
from coord_cli._reconciling import checkout_top, engineer_for, find_top, reconcile_checkout
from coord_cli._time import relative
from coord_cli.errors import CliError, ExitCode
from coord_cli.target import Target, current_target, service
from coord_protocol.claims import (
    MAX_ITEMS_PER_REQUEST,
    Claim,
    ClaimSpec,
    CreateClaimsRequest,
    CreateClaimsResponse,
)
from coord_protocol.client import CoordClient
from coord_protocol.reconcile import exact_pattern

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
WideOption = Annotated[
    bool, typer.Option("--wide", help="Print long patterns whole instead of fitting the terminal.")
]
NO_REPO = "(no repo)"
"""How the no-repo bucket is shown: claims there never conflict with claims naming a repo."""


def list_claims(
    engineer: Annotated[
        str | None,
        typer.Option("--engineer", "-e", metavar="NAME", help="Only claims of this engineer."),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(metavar="REPO", help="Only this repo (default: this checkout's repo id)."),
    ] = None,
    all_repos: Annotated[bool, typer.Option("--all", help="Claims of every repo.")] = False,
    wide: WideOption = False,
    json_output: JsonOption = False,
) -> None:
    """List active claims, newest first, with the repo bucket of each.

    Inside a wired checkout only its repo is shown; --all shows every repo,
    including claims sent without a repo (the `(no repo)` bucket).
    """
    if all_repos and repo:
        raise CliError("--all and --repo exclude each other", "pass one of them", ExitCode.USAGE)
    target = current_target()
    repo_filter = None if all_repos else (repo or target.repo_id)
    with service(target) as client:
        listing = client.list_claims(engineer=engineer, repo=repo_filter)
    if json_output:
        emit_json(listing.model_dump(mode="json"))
        return
    if not listing.claims:
        where = f" in {repo_filter}" if repo_filter else ""
        say(f"No active claims{where}.")
        return
    _claims_table(listing.claims, wide)
    if listing.next_cursor is not None:
        say(
            f"Showing the first {listing.count} of {listing.total} claims; narrow the list "
            "with --engineer or --repo."
        )


def claim(
    patterns: Annotated[
        list[str] | None,
        typer.Argument(metavar="PATTERN", help="Patterns to claim, e.g. 'src/auth/**'."),
    ] = None,
    from_worktree: Annotated[
        bool,
        typer.Option(
            "--from-worktree",
            help="Claim exactly the changed files (git status) "
            "that no active claim of yours covers.",
        ),
    ] = False,
    wait: Annotated[
        int,
        typer.Option(
            "--wait",
            min=0,
            max=600,
            metavar="SECONDS",
            help="Queue behind a holder for up to this long instead of failing at once.",
        ),
    ] = 0,
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What you are doing, shown to others.")
    ] = None,
    ttl_hours: Annotated[
        float | None,
        typer.Option("--ttl-hours", min=0.01, max=168, help="Lifetime (default: the service's)."),
    ] = None,
    engineer: Annotated[
        str | None,
        typer.Option(
            "--engineer",
            "-e",
            metavar="NAME",
            help="Claim as NAME (default: COORD_USER, the token's engineer, or git's "
            "user.email name).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Claim patterns as one batch: all are granted, or none.

    With --from-worktree the batch is the checkout's changed files that no claim of
    yours covers. When another engineer holds one, nothing is claimed and the holder
    is named (exit 1); --wait queues for it instead.
    """  # fmt: skip
    if not patterns and not from_worktree:
        raise CliError("nothing to claim", "name patterns, or pass --from-worktree", ExitCode.USAGE)
    target = current_target()
    top = checkout_top(Path.cwd()) if from_worktree else find_top(Path.cwd())
    with service(target) as client:
        who = engineer_for(client, engineer, top)
        wanted = list(patterns or [])
        if from_worktree and top is not None:
            wanted += _worktree_patterns(client, target, top, who)
        if not wanted:
            _nothing_to_claim(json_output)
            return
        request = _claim_request(target, who, wanted, wait, description, ttl_hours)
        answer = client.create_claims(request)
    _show_claim_answer(answer, json_output)


def _worktree_patterns(client: CoordClient, target: Target, top: Path, engineer: str) -> list[str]:
    _state, report = reconcile_checkout(client, target, top, engineer, idle_minutes=1)
    return [exact_pattern(edit.path) for edit in report.undeclared]


def _claim_request(
    target: Target,
    engineer: str,
    patterns: list[str],
    wait: int,
    description: str | None,
    ttl_hours: float | None,
) -> CreateClaimsRequest:
    unique = list(dict.fromkeys(patterns))
    if len(unique) > MAX_ITEMS_PER_REQUEST:
        raise CliError(
            f"{len(unique)} patterns are more than one claim batch takes ({MAX_ITEMS_PER_REQUEST})",
            "claim the directories instead, e.g. `coord claim 'src/generated/**'`",
            ExitCode.USAGE,
        )
    return CreateClaimsRequest(
        engineer=engineer or None,
        claims=[ClaimSpec(pattern=p) for p in unique],
        repo=target.repo_id,
        wait_seconds=wait,
        description=description,
        ttl_hours=ttl_hours,
    )


def _nothing_to_claim(json_output: bool) -> None:
    if json_output:
        emit_json(CreateClaimsResponse().model_dump(mode="json"))
        return
    say("Nothing to claim: every changed file is under a claim of yours.")


def _show_claim_answer(answer: CreateClaimsResponse, json_output: bool) -> None:
    if json_output:
        emit_json(answer.model_dump(mode="json"))
    elif answer.claim_ids:
        say(f"Claimed {len(answer.claims)} pattern(s):")
        for row in answer.claims:
            say(f"  {row.id}  {_scope(row)}  (fence {row.fence})")
        for remark in [*answer.warnings, *answer.notices]:
            warn(remark)
    else:
        say("Nothing claimed: the batch collides with claims of other engineers.")
        for conflict in answer.conflicts:
            held = conflict.conflicting_claim
            say(
                f"  {conflict.your_pattern}: held by {held.engineer} (claim {held.id}, "
                f"{held.pattern})"
            )
        if answer.next_step:
            say(f"Next: {answer.next_step}")
    if not answer.claim_ids:
        raise typer.Exit(int(ExitCode.FAILED))


def release(
    claim_ids: Annotated[
        list[str], typer.Argument(metavar="CLAIM_ID...", help="Ids of the claims to release.")
    ],
    engineer: Annotated[
        str | None,
        typer.Option("--engineer", "-e", metavar="NAME", help="Release only if NAME holds it."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Release claims by id, as their holder or as the operator.

    Waiters queued behind a released claim are served at once.
    """
    released: list[str] = []
    already: list[str] = []
    with service(current_target()) as client:
        for claim_id in claim_ids:
            answer = client.release_claim(claim_id, engineer)
            (released if answer.released else already).append(claim_id)
    if json_output:
        emit_json({"released": released, "already_inactive": already})
        return
    for claim_id in released:
        say(f"Released {claim_id}.")
    for claim_id in already:
        say(f"{claim_id} was already released or had expired; nothing to do.")


def _claims_table(claims: list[Claim], wide: bool) -> None:
    now = datetime.now(UTC)
    headers = ["id", "repo", "engineer", "pattern", "type", "expires"]
    rows = [
        [
            claim.id,
            claim.repo or NO_REPO,
            claim.engineer,
            _scope(claim),
            _kind(claim),
            relative(claim.expires_at, now),
        ]
        for claim in claims
    ]
    table(headers, rows, wide=wide)


def _scope(claim: Claim) -> str:
    if claim.symbols:
        return f"{claim.pattern} # {', '.join(claim.symbols)}"
    return claim.pattern


def _kind(claim: Claim) -> str:
    kind = str(claim.claim_type)
    if claim.shared and kind != "shared_file":
        kind += " (shared)"
    return kind + (" hard" if str(claim.severity) == "hard" else "")
