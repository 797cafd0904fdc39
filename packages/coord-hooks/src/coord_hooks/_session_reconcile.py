"""The working tree reconciled with its claims, in two lines a starting agent reads (SPEC §16).

The same findings as `coord reconcile` (`coord_protocol.reconcile`): changed files no claim of
the engineer covers, and the engineer's idle claims, each shortened to a count and a few names,
then the commands that settle them. A clean checkout adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from coord_hooks._http import HookClient
from coord_protocol.reconcile import (
    DEFAULT_IDLE_MINUTES,
    Reconciliation,
    fence_bodies,
    reconcile,
)
from coord_protocol.text import printable
from coord_protocol.worktree import read_worktree

MAX_NAMED = 5
"""Files or claims named per finding kind; more are counted."""


def reconcile_checkout(
    client: HookClient,
    top: Path,
    engineer: str,
    repo: str | None,
    claim_rows: Sequence[Any],
    now: datetime,
) -> Reconciliation:
    """Both findings for the checkout at `top`, from `GET /claims` rows of the repo."""
    state = read_worktree(top, now - timedelta(minutes=DEFAULT_IDLE_MINUTES))
    verdicts: list[Any] = []
    for body in fence_bodies(state, engineer, repo):
        answer = client.post("/fences/check", body)
        found = answer.get("verdicts") if isinstance(answer, dict) else None
        verdicts += found if isinstance(found, list) else []
    rows = [row for row in claim_rows if isinstance(row, dict) and row.get("repo") == repo]
    return reconcile(state, verdicts, rows, engineer, now, repo=repo)


def summary_lines(report: Reconciliation) -> list[str]:
    """One line of findings and one of fixes; none when there is nothing to report."""
    if report.clean:
        return []
    found = []
    if report.undeclared:
        names = [_undeclared_name(edit.path, edit.held_by) for edit in report.undeclared]
        found.append(f"{len(names)} changed file(s) no claim of yours covers ({_few(names)})")
    if report.idle:
        names = [
            f"{claim.claim_id} {claim.pattern}, {claim.idle_minutes} min" for claim in report.idle
        ]
        found.append(f"{len(names)} idle claim(s) ({_few(names)})")
    lines = [f"coord reconcile: {' and '.join(found)}."]
    held = [edit for edit in report.undeclared if edit.held_by]
    fixes = [
        *report.fixes,
        *(["for a file someone else holds: ask them, or queue with --wait"] if held else []),
    ]
    lines.append("Next: " + "; ".join(fixes) + " (`coord reconcile` lists every fix).")
    return [printable(line) for line in lines]


def _undeclared_name(path: str, held_by: Sequence[Any]) -> str:
    return f"{path}, held by {held_by[0].engineer}" if held_by else path


def _few(names: Sequence[str]) -> str:
    shown = "; ".join(names[:MAX_NAMED])
    return shown + (f"; and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
