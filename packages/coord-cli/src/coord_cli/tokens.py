"""`coord tokens create|list|rotate|revoke`: per-engineer tokens, for operators (SPEC §13).

Each command calls one `/admin/tokens` route with the operator token. A token's secret is printed
only by `create` and `rotate`, once: the service keeps nothing but its hash, so no later command
can show it again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from coord_cli._output import emit_json, say, table
from coord_cli._time import parse_duration, relative
from coord_cli.errors import CliError, ExitCode
from coord_cli.target import current_target, service
from coord_protocol.tokens import MAX_EXPIRY_SECONDS, CreateTokenRequest, TokenCreated, TokenInfo

app = typer.Typer(
    help="Per-engineer tokens: create, list, rotate, revoke.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

MIN_EXPIRY_SECONDS = 60
"""Shortest lifetime the service accepts."""

CREATED_FIELDS = ("id", "token", "engineer", "repo", "read_only", "expires_at")
"""The keys of `create --json` and `rotate --json`, in this order (SPEC §13)."""

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
TokenId = Annotated[str, typer.Argument(metavar="ID", help="The token's id (`coord tokens list`).")]


@app.command("create")
def create(
    engineer: Annotated[
        str, typer.Argument(metavar="ENGINEER", help="Who the token acts as (and names beneath).")
    ],
    repo: Annotated[
        str | None, typer.Option(metavar="ID", help="Bind the token to this repo only.")
    ] = None,
    expires_in: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="Lifetime: 30d, 12h, 90m or 3600s (default: none)."),
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="A token that can read, never change (CI).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Create a token for ENGINEER and print its secret, this once.

    Give it to the engineer, who stores it with `coord init --token -`.
    """
    request = _request(engineer, repo, _lifetime(expires_in), read_only)
    with service(current_target()) as client:
        created = client.create_token(request)
    _show_created(created, "Created", json_output)


@app.command("list")
def list_tokens(
    wide: Annotated[
        bool, typer.Option("--wide", help="Print every cell whole instead of fitting the terminal.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """List every token, newest first. Secrets are never shown."""
    with service(current_target()) as client:
        listing = client.list_tokens()
    if json_output:
        emit_json(listing.model_dump(mode="json"))
        return
    if not listing.tokens:
        say("No engineer tokens yet: create one with `coord tokens create ENGINEER`.")
        return
    now = datetime.now(UTC)
    table(
        ["id", "engineer", "repo", "access", "state", "expires", "last used"],
        [_row(token, now) for token in listing.tokens],
        wide=wide,
    )


@app.command("rotate")
def rotate(token_id: TokenId, json_output: JsonOption = False) -> None:
    """Give a token a new secret, printed this once; the old one stops working now."""
    with service(current_target()) as client:
        created = client.rotate_token(token_id)
    _show_created(created, "Rotated", json_output)


@app.command("revoke")
def revoke(token_id: TokenId, json_output: JsonOption = False) -> None:
    """Revoke a token: the service refuses it from the next request on."""
    with service(current_target()) as client:
        answer = client.revoke_token(token_id)
    if json_output:
        emit_json(answer.model_dump(mode="json"))
    elif answer.revoked:
        say(f"Revoked token {answer.id}.")
    else:
        say(f"Token {answer.id} was revoked already.")


def _request(
    engineer: str, repo: str | None, lifetime: int | None, read_only: bool
) -> CreateTokenRequest:
    try:
        return CreateTokenRequest(
            engineer=engineer, repo=repo, expires_in_seconds=lifetime, read_only=read_only
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "input"
        raise CliError(
            f"{where}: {problem['msg']}", "check ENGINEER and --repo", ExitCode.USAGE
        ) from None


def _lifetime(expires_in: str | None) -> int | None:
    if expires_in is None:
        return None
    try:
        seconds = parse_duration(expires_in)
    except ValueError as exc:
        raise CliError(f"--expires-in: {exc}", "e.g. --expires-in 30d", ExitCode.USAGE) from None
    if not MIN_EXPIRY_SECONDS <= seconds <= MAX_EXPIRY_SECONDS:
        raise CliError(
            f"--expires-in {expires_in} is out of range",
            f"give between {MIN_EXPIRY_SECONDS}s and {MAX_EXPIRY_SECONDS // 86400}d",
            ExitCode.USAGE,
        )
    return seconds


def _show_created(created: TokenCreated, verb: str, json_output: bool) -> None:
    if json_output:
        shown = created.model_dump(mode="json")
        emit_json({key: shown.get(key) for key in CREATED_FIELDS})
        return
    say(f"{verb} token {created.id} for {created.engineer} ({_scope(created)}).")
    say(created.token)
    say("This token will not be shown again: store it now, e.g. with `coord init --token -`.")


def _scope(token: TokenCreated | TokenInfo) -> str:
    parts = [
        f"repo {token.repo}" if token.repo else "every repo",
        "read-only" if token.read_only else "read-write",
        f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "no expiry",
    ]
    return ", ".join(parts)


def _row(token: TokenInfo, now: datetime) -> list[str]:
    return [
        token.id,
        token.engineer,
        token.repo or "-",
        "read-only" if token.read_only else "read-write",
        token.state,
        relative(token.expires_at, now),
        relative(token.last_used_at, now) if token.last_used_at else "never",
    ]
