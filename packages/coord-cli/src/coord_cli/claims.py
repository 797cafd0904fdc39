"""`coord claims` and `coord release`: what is held right now, and releasing it by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from coord_cli._output import emit_json, say, table
from coord_cli._time import relative
from coord_cli.errors import CliError, ExitCode
from coord_cli.target import current_target, service
from coord_protocol.claims import Claim

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
