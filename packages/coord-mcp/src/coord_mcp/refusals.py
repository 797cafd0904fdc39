"""Refusals as data: every error and conflict becomes a `Refusal` with a concrete next step.

An agent cannot do anything with "409 Conflict". It can do something with "alex holds
src/auth/** until 14:05Z: call claim_files again with wait_seconds=600, or
request_release(claim_id='c7', ...)". This module writes those sentences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from coord_mcp.caller import Hints
from coord_mcp.results import Refusal, ToolResult, refused
from coord_protocol.claims import CreateClaimsResponse
from coord_protocol.conflicts import Conflict
from coord_protocol.errors import CoordError, ErrorCode

MAX_WAIT_SECONDS = 600
"""The longest queue wait the service accepts."""

_MISSING_ROUTE_MARKS = ("no such route", "not available on this server")

_FIX_ARGUMENTS = "Fix the arguments as the detail says, then call again."
_NEXT_STEPS: Mapping[ErrorCode, str] = {
    ErrorCode.FORBIDDEN: (
        "Your token may act only as the engineer it was issued for (or `engineer/...` beneath "
        "it): call again as that engineer, or ask an operator for a token (`coord tokens create`)."
    ),
    ErrorCode.INVALID_SYMBOL: (
        "Claim only symbols the file declares (see known_symbols), or claim the whole file by "
        "leaving it out of `symbols`."
    ),
    ErrorCode.SCOPE_TOO_BROAD: (
        "Claim a narrower pattern (the directory or the files you will edit), then call again."
    ),
    ErrorCode.INVALID_SESSION: (
        "Fix COORD_SESSION_ID (1-128 characters of A-Z a-z 0-9 . _ : -) or unset it, then "
        "restart the MCP server."
    ),
    ErrorCode.ALREADY_DECIDED: (
        "The request was already answered: wait_for_request(request_id=...) shows the decision."
    ),
    ErrorCode.CONFLICT: (
        "Call claim_files again with wait_seconds to queue, or request_release the blocking claim."
    ),
    ErrorCode.INTERNAL: (
        "The service failed: call again once; if it fails again, give the detail (it carries "
        "the request id) to whoever runs the coord service."
    ),
}


def missing_route(error: CoordError) -> bool:
    """True when the service answered that the route itself does not exist (an older server)."""
    if error.code is ErrorCode.METHOD_NOT_ALLOWED:
        return True
    return error.code is ErrorCode.NOT_FOUND and any(
        mark in error.detail for mark in _MISSING_ROUTE_MARKS
    )


def error_refusal(error: CoordError, hints: Hints, not_found_step: str) -> ToolResult:
    """The result for a `CoordError` the service (or the client) raised."""
    refusal = Refusal(
        code=str(error.code),
        detail=error.detail,
        http_status=http_status(error),
        known_symbols=_known_symbols(error.extra),
        retry_after_seconds=_retry_after(error.extra),
    )
    if error.code in (ErrorCode.UNAUTHORIZED, ErrorCode.INVALID_REPO):
        refusal.config_file = hints.config_file
    return refused(refusal, _next_step(error, refusal, hints, not_found_step))


def http_status(error: CoordError) -> int | None:
    """The HTTP status the service answered with, when the error came from an answer."""
    status = error.extra.get("status")
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _next_step(error: CoordError, refusal: Refusal, hints: Hints, not_found_step: str) -> str:
    code = error.code
    if code is ErrorCode.UNAUTHORIZED:
        return hints.fix_auth
    if code is ErrorCode.UNAVAILABLE:
        return hints.fix_unreachable
    if code in (ErrorCode.NOT_FOUND, ErrorCode.NOT_HOLDER):
        return not_found_step
    if code is ErrorCode.INVALID_REPO:
        where = hints.config_file or "the MCP server's environment"
        return f"Fix COORD_REPO_ID (`owner/name`) in {where}, then restart the MCP server."
    if code is ErrorCode.RATE_LIMITED:
        wait = refusal.retry_after_seconds or 1
        return f"Too many calls: wait {wait:g} s, then call again."
    return _NEXT_STEPS.get(code, _FIX_ARGUMENTS)


def _known_symbols(extra: Mapping[str, Any]) -> dict[str, list[str]]:
    known = extra.get("known_symbols")
    if isinstance(known, dict):
        return {str(path): [str(name) for name in names] for path, names in known.items()}
    hint, path = extra.get("hint"), extra.get("path") or extra.get("file")
    if isinstance(hint, list) and isinstance(path, str):
        return {path: [str(name) for name in hint]}
    return {}


def _retry_after(extra: Mapping[str, Any]) -> float | None:
    for key in ("retry_after_seconds", "retry_after"):
        value = extra.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def who_are_you(error: CoordError, hints: Hints) -> ToolResult:
    """The result for a call the service refused because nobody said which engineer acts."""
    refusal = Refusal(code=str(error.code), detail=error.detail, http_status=http_status(error))
    return refused(refusal, hints.fix_identity)


def unsupported(feature: str, error: CoordError, instead: str) -> ToolResult:
    """The result for a tool whose route the service does not have yet: nothing happened."""
    refusal = Refusal(
        code="unsupported",
        detail=(
            f"the coord service does not support {feature} yet (it answered: {error.detail}); "
            "nothing was done"
        ),
        http_status=http_status(error),
    )
    return refused(refusal, f"{instead} This tool works once the service is upgraded.")


def invalid_arguments(tool: str, error: ValidationError) -> ToolResult:
    """The result for arguments that do not fit the tool's input schema."""
    problems = _problems(error)
    refusal = Refusal(code="invalid_arguments", detail=f"{tool}: {problems}")
    return refused(refusal, f"Call {tool} again with corrected arguments ({problems}).")


def invalid_request(tool: str, error: ValidationError, hints: Hints) -> ToolResult:
    """The result for a request the wire model refuses: an argument or a configured value."""
    problems = _problems(error)
    refusal = Refusal(
        code="invalid_arguments", detail=f"{tool}: {problems}", config_file=hints.config_file
    )
    where = hints.config_file or "the MCP server's environment"
    step = (
        f"Fix what the detail names: an argument of {tool}, or a configured value "
        f"(COORD_REPO_ID, COORD_SESSION_ID, COORD_BRANCH) in {where}."
    )
    return refused(refusal, step)


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or 'arguments'}: {issue['msg']}"
        for issue in error.errors()
    )


def conflict_refusal(
    response: CreateClaimsResponse, waited_seconds: int, now: datetime | None = None
) -> ToolResult:
    """The result for a claim the service refused (409), after waiting in the queue or not."""
    blockers = response.conflicts
    cancelled = "cancelled" in (response.next_step or "")
    holders = "; ".join(dict.fromkeys(holder_phrase(conflict) for conflict in blockers))
    if cancelled:
        code, detail = "queue_cancelled", f"the queued claim was cancelled; {holders}"
    elif waited_seconds:
        code = "queue_timeout"
        detail = f"still blocked after {waited_seconds} s in the queue: {holders}"
    else:
        code, detail = "conflict", f"refused: {holders}"
    refusal = Refusal(code=code, detail=detail, http_status=409, blockers=blockers)
    step = conflict_next_step(blockers, now or datetime.now(UTC))
    return refused(refusal, step, response)


def holder_phrase(conflict: Conflict) -> str:
    """`alex holds 'src/auth/**' (claim c7) until 2026-11-24T14:05Z`, with symbols if any."""
    held = conflict.conflicting_claim
    symbols = f", symbols {', '.join(held.symbols)}" if held.symbols else ""
    until = held.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"{held.engineer} holds {held.pattern!r} (claim {held.id}{symbols}) until {until}"


def conflict_next_step(
    blockers: Sequence[Conflict], now: datetime, lead: str = "Nothing was claimed."
) -> str:
    """Every way forward after a conflict, most useful first, with concrete arguments."""
    if not blockers:
        return "Call claim_files again; the claim in the way is gone."
    first = blockers[0].conflicting_claim
    steps = [
        f"queue behind it: call claim_files with the same arguments plus "
        f"wait_seconds={suggested_wait(blockers, now)}"
    ]
    steps.extend(_narrowing(blockers))
    steps.append(
        f"ask the holder: request_release(claim_id={first.id!r}, reason='<why you need it>')"
    )
    steps.append("or work on other files first")
    return f"{lead} Options: " + "; ".join(steps) + "."


def suggested_wait(blockers: Sequence[Conflict], now: datetime) -> int:
    """Seconds until the earliest blocking claim expires, between 30 and the 600 maximum."""
    earliest = min(conflict.conflicting_claim.expires_at for conflict in blockers)
    seconds = math.ceil((earliest - now).total_seconds())
    return max(30, min(MAX_WAIT_SECONDS, seconds))


def _narrowing(blockers: Sequence[Conflict]) -> list[str]:
    steps = []
    for conflict in blockers:
        held = conflict.conflicting_claim
        if conflict.symbol_overlap:
            mine = (symbol for place in conflict.symbol_overlap for symbol in place.symbols)
            taken = ", ".join(dict.fromkeys(mine))
            steps.append(f"drop {taken} from your symbols for {conflict.your_pattern!r}")
        elif held.symbols:
            taken = ", ".join(held.symbols)
            steps.append(
                f"narrow: claim only symbols of {conflict.your_pattern!r} other than {taken} "
                f"(symbols={{{conflict.your_pattern!r}: [...]}})"
            )
        elif not conflict.your_symbols:
            steps.append(
                f"narrow: if you only need some functions of {_example(conflict)!r}, claim just "
                "those with symbols={path: [names]} (granted beside a narrowable file claim)"
            )
    return list(dict.fromkeys(steps))


def _example(conflict: Conflict) -> str:
    return conflict.overlap[0] if conflict.overlap else conflict.your_pattern
