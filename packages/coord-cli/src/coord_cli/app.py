"""The `coord` command: every command group registered on one Typer application."""

from __future__ import annotations

from typing import Annotated

import typer

from coord_cli import (
    __version__,
    claims,
    completion,
    doctor,
    engineers,
    init,
    outbox,
    reconcile,
    start,
    tokens,
)
from coord_cli._update_check import notify_if_outdated

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 80}

app = typer.Typer(
    name="coord",
    help=(
        "coord: claim files before editing them, so agents never overwrite each other.\n\n"
        "Start a local service with `coord start --background`, wire a repository with "
        "`coord init --tool claude`, check the wiring with `coord doctor`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"coord {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand not in (None, "completion"):
        ctx.call_on_close(notify_if_outdated)


app.command("start")(start.start)
app.command("stop")(start.stop)
app.command("status")(start.status)
app.command("init")(init.init)
app.command("doctor")(doctor.doctor)
app.command("claims")(claims.list_claims)
app.command("claim")(claims.claim)
app.command("release")(claims.release)
app.command("reconcile")(reconcile.reconcile)
app.add_typer(engineers.app, name="engineers")
app.add_typer(outbox.app, name="outbox")
app.add_typer(tokens.app, name="tokens")
app.command("completion")(completion.completion)
