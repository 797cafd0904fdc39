"""`coord outbox stats|tail|retry|purge`: the webhook outbox, for operators (SPEC §9).

Each command calls one `/admin/outbox/*` route with the operator token. A server that predates
those routes answers 404; that is reported as "not supported by this server", not as a missing
delivery.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar

import typer
from pydantic import BaseModel

from coord_cli._output import emit_json, say, table
from coord_cli._time import relative
from coord_cli.errors import CliError, ExitCode
from coord_cli.target import Target, current_target, service
from coord_protocol.client import CoordClient
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.outbox import (
    OutboxDelivery,
    OutboxPurgeRequest,
    OutboxRetryRequest,
    OutboxState,
    OutboxStats,
)

app = typer.Typer(
    help="Webhook deliveries: stats, tail, retry, purge.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

AnswerT = TypeVar("AnswerT", bound=BaseModel)
PurgeState = Literal["delivered", "exhausted"]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@app.command("stats")
def stats(json_output: JsonOption = False) -> None:
    """Deliveries of the last 24 hours per event type and state."""
    answer = _ask("GET /admin/outbox/stats", lambda client: client.outbox_stats(), json_output)
    if answer is not None:
        _show_stats(answer)


@app.command("tail")
def tail(
    limit: Annotated[
        int, typer.Option(min=1, max=1000, metavar="N", help="How many rows (1-1000).")
    ] = 20,
    state: Annotated[
        str | None,
        typer.Option(
            metavar="STATE", help="Only rows in this state: pending, failed, delivered, exhausted."
        ),
    ] = None,
    wide: Annotated[
        bool, typer.Option("--wide", help="Print long results whole instead of fitting.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """The newest deliveries, newest first."""
    chosen = _state(state)
    answer = _ask(
        "GET /admin/outbox/tail", lambda client: client.outbox_tail(limit, chosen), json_output
    )
    if answer is None:
        return
    if not answer.deliveries:
        say("No deliveries.")
        return
    _show_deliveries(answer.deliveries, wide)


@app.command("retry")
def retry(
    delivery_ids: Annotated[
        list[str] | None,
        typer.Option("--id", metavar="DELIVERY_ID", help="Only this delivery (repeatable)."),
    ] = None,
    exhausted_only: Annotated[
        bool, typer.Option("--exhausted-only", help="Leave failed rows to their schedule.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Send failed and exhausted deliveries again, now, with a fresh attempt budget."""
    request = OutboxRetryRequest(
        delivery_ids=delivery_ids or None,
        states=["exhausted"] if exhausted_only else ["failed", "exhausted"],
    )
    answer = _ask(
        "POST /admin/outbox/retry", lambda client: client.outbox_retry(request), json_output
    )
    if answer is not None:
        say(f"Re-armed {answer.rearmed} deliver{'y' if answer.rearmed == 1 else 'ies'}.")


@app.command("purge")
def purge(
    older_than_days: Annotated[
        float, typer.Option(min=0, max=3650, metavar="DAYS", help="Only rows older than DAYS days.")
    ] = 7.0,
    delivered_only: Annotated[
        bool, typer.Option("--delivered-only", help="Keep rows that gave up (exhausted).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Delete finished deliveries older than --older-than-days.

    Rows still waiting for delivery are never deleted.
    """
    states: list[PurgeState] = ["delivered"]
    if not delivered_only:
        states.append("exhausted")
    if not yes and sys.stdin.isatty():
        typer.confirm(
            f"Delete {' and '.join(states)} deliveries older than {older_than_days:g} day(s)?",
            abort=True,
        )
    request = OutboxPurgeRequest(older_than_days=older_than_days, states=states)
    answer = _ask(
        "POST /admin/outbox/purge", lambda client: client.outbox_purge(request), json_output
    )
    if answer is not None:
        say(f"Deleted {answer.purged} deliver{'y' if answer.purged == 1 else 'ies'}.")


def _ask(route: str, call: Callable[[CoordClient], AnswerT], json_output: bool) -> AnswerT | None:
    """Call `route` on the configured service; with --json print the answer and return None."""
    target = current_target()
    with service(target) as client:
        answer = _supported(target, route, lambda: call(client))
    if json_output:
        emit_json(answer.model_dump(mode="json"))
        return None
    return answer


def _supported(target: Target, route: str, call: Callable[[], AnswerT]) -> AnswerT:
    try:
        return call()
    except CoordError as exc:
        if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.METHOD_NOT_ALLOWED):
            raise CliError(
                f"the coord service at {target.api_url} does not support the webhook outbox "
                f"yet ({route} is unknown to it)",
                "upgrade the server to a version with /admin/outbox",
                ExitCode.FAILED,
            ) from exc
        raise


def _state(raw: str | None) -> OutboxState | None:
    if raw is None:
        return None
    states: dict[str, OutboxState] = {
        "pending": "pending", "failed": "failed", "delivered": "delivered",
        "exhausted": "exhausted",
    }  # fmt: skip
    if raw not in states:
        raise CliError(
            f"unknown delivery state {raw!r}",
            "use one of: pending, failed, delivered, exhausted",
            ExitCode.USAGE,
        )
    return states[raw]


def _show_stats(answer: OutboxStats) -> None:
    if not answer.webhook_configured:
        say("No webhook receiver is configured (COORD_WEBHOOK_URL is unset on the server).")
    totals = answer.totals
    say(
        f"Last {answer.window_hours} h: {totals.delivered} delivered, {totals.failed} failed, "
        f"{totals.pending} pending, {totals.exhausted} exhausted; backlog {answer.backlog}."
    )
    if answer.by_event:
        rows = [
            [str(row.event_type), str(row.delivered), str(row.failed), str(row.pending),
             str(row.exhausted)]
            for row in answer.by_event
        ]  # fmt: skip
        table(["event", "delivered", "failed", "pending", "exhausted"], rows)


def _show_deliveries(deliveries: list[OutboxDelivery], wide: bool) -> None:
    now = datetime.now(UTC)
    rows = [
        [
            row.delivery_id,
            str(row.event_type),
            row.state,
            str(row.attempts),
            relative(row.created_at, now),
            row.last_error or (str(row.last_status) if row.last_status else "-"),
        ]
        for row in deliveries
    ]
    table(["delivery", "event", "state", "tries", "created", "last result"], rows, wide=wide)
