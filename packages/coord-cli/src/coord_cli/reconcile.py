"""`coord reconcile`: the working tree against this engineer's claims (SPEC §16).

Lists undeclared edits (changed files no active claim of the engineer covers, with their holder)
and idle claims (the engineer's claims whose files have not changed for `--idle` minutes), each
with the one command that settles it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coord_cli._output import emit_json, say
from coord_cli._reconciling import (
    checkout_top,
    engineer_for,
    reconcile_checkout,
    report_adherence,
)
from coord_cli.errors import ExitCode
from coord_cli.target import current_target, service
from coord_protocol.reconcile import DEFAULT_IDLE_MINUTES


def reconcile(
    idle: Annotated[
        int,
        typer.Option(
            "--idle",
            min=1,
            metavar="MINUTES",
            help="Report claims whose files have not changed for this long.",
        ),
    ] = DEFAULT_IDLE_MINUTES,
    engineer: Annotated[
        str | None,
        typer.Option(
            "--engineer",
            "-e",
            metavar="NAME",
            help="Whose claims count (default: COORD_USER, the token's engineer, or "
            "git's user.email name; claims of NAME/... count too).",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when anything is found (for scripts).")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List undeclared edits and idle claims of this checkout, with the fix for each."""
    top = checkout_top(Path.cwd())
    target = current_target()
    with service(target) as client:
        who = engineer_for(client, engineer, top)
        _state, report = reconcile_checkout(client, target, top, who, idle)
        report_adherence(client, report)
    if json_output:
        emit_json(report.to_json())
    else:
        for line in report.lines():
            say(line)
    if strict and not report.clean:
        raise typer.Exit(int(ExitCode.FAILED))
