"""`coord engineers stale`: engineers whose claims have been silent for days, and releasing them.

Staleness is read from the active claims: an engineer's last sign of life is the newest
`last_activity` (or grant time) among their claims. Releasing goes through `POST
/claims/release`, the API's own path, so waiters queued behind those claims are served and
coexisting partners are told, exactly as when the holder releases.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from coord_cli._output import emit_json, say, table
from coord_cli._time import relative
from coord_cli.errors import CliError, ExitCode
from coord_cli.target import current_target, service
from coord_protocol.claims import Claim, ReleaseClaimsRequest
from coord_protocol.client import CoordClient

app = typer.Typer(
    help="Engineers holding claims: find and release stale ones.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RELEASE_BATCH = 1000
"""Most claim ids `POST /claims/release` accepts in one call."""


@dataclass(frozen=True, slots=True)
class StaleEngineer:
    """An engineer whose every active claim has been silent longer than the threshold."""

    engineer: str
    last_seen: datetime
    claims: tuple[Claim, ...]

    def to_json(self) -> dict[str, object]:
        """The JSON form used by `--json`."""
        return {
            "engineer": self.engineer,
            "last_seen": self.last_seen.isoformat().replace("+00:00", "Z"),
            "claim_ids": [claim.id for claim in self.claims],
            "repos": sorted({claim.repo or "" for claim in self.claims}),
        }


def find_stale(claims: list[Claim], now: datetime, days: float) -> list[StaleEngineer]:
    """Engineers whose newest claim activity is older than `days`, most silent first."""
    by_engineer: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_engineer[claim.engineer].append(claim)
    cutoff = now - timedelta(days=days)
    stale = [
        StaleEngineer(engineer, last_seen, tuple(held))
        for engineer, held in by_engineer.items()
        if (last_seen := max(_last_sign(claim) for claim in held)) < cutoff
    ]
    return sorted(stale, key=lambda entry: (entry.last_seen, entry.engineer))


@app.command("stale")
def stale(
    days: Annotated[
        float, typer.Option(min=0, metavar="DAYS", help="Silent for more than DAYS days.")
    ] = 1.0,
    repo: Annotated[
        str | None, typer.Option(metavar="REPO", help="Only claims in this repo.")
    ] = None,
    release: Annotated[
        bool, typer.Option("--release", help="Release every claim of those engineers.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Release without asking.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List engineers whose claims have been silent for more than --days.

    With --release their claims are released through the API, so queued
    waiters are served at once.
    """
    target = current_target()
    with service(target) as client:
        listing = client.list_claims(repo=repo)
        found = find_stale(listing.claims, datetime.now(UTC), days)
        released: list[str] = []
        if release and found and _confirmed(found, yes):
            released = _release_all(client, found)
    if json_output:
        emit_json({"stale": [entry.to_json() for entry in found], "released": released})
        return
    _show(found, days)
    if listing.next_cursor is not None:
        say(f"Looked at the first {listing.count} of {listing.total} claims only.")
    if released:
        say(f"Released {len(released)} claim(s).")


def _last_sign(claim: Claim) -> datetime:
    return max(moment for moment in (claim.last_activity, claim.created_at) if moment is not None)


def _confirmed(found: list[StaleEngineer], yes: bool) -> bool:
    if yes or not sys.stdin.isatty():
        return True
    count = sum(len(entry.claims) for entry in found)
    if typer.confirm(f"Release {count} claim(s) of {len(found)} engineer(s)?", default=False):
        return True
    raise CliError(
        "nothing released", "rerun with --yes to release without asking", ExitCode.FAILED
    )


def _release_all(client: CoordClient, found: list[StaleEngineer]) -> list[str]:
    ids = [claim.id for entry in found for claim in entry.claims]
    released: list[str] = []
    for start in range(0, len(ids), RELEASE_BATCH):
        batch = ReleaseClaimsRequest(claim_ids=ids[start : start + RELEASE_BATCH])
        released.extend(client.release_claims(batch).claim_ids)
    return released


def _show(found: list[StaleEngineer], days: float) -> None:
    if not found:
        say(f"No engineer has been silent for more than {days:g} day(s).")
        return
    now = datetime.now(UTC)
    rows = [
        [
            entry.engineer,
            str(len(entry.claims)),
            ", ".join(sorted({claim.repo or "-" for claim in entry.claims})),
            relative(entry.last_seen, now),
        ]
        for entry in found
    ]
    table(["engineer", "claims", "repos", "last seen"], rows)
