"""Refusals as data: every error and conflict carries the facts and a concrete next step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord_mcp.caller import Hints
from coord_mcp.refusals import (
    conflict_refusal,
    error_refusal,
    missing_route,
    suggested_wait,
)
from coord_protocol.claims import CreateClaimsResponse
from coord_protocol.conflicts import Conflict, ConflictingClaim, SymbolOverlap
from coord_protocol.errors import CoordError, ErrorCode

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HINTS = Hints(
    fix_auth="FIX AUTH", fix_unreachable="START IT", config_file="/repo/.coordination/local.env"
)


def conflict(
    holder: str = "alex/claude/main",
    pattern: str = "src/auth/**",
    expires_in: timedelta = timedelta(minutes=5),
    symbols: list[str] | None = None,
    your_symbols: list[str] | None = None,
    symbol_overlap: list[SymbolOverlap] | None = None,
) -> Conflict:
    return Conflict(
        your_pattern="src/auth/login.ts",
        conflicting_claim=ConflictingClaim(
            id="clm_7",
            engineer=holder,
            pattern=pattern,
            expires_at=NOW + expires_in,
            symbols=symbols,
        ),
        overlap=["src/auth/login.ts"],
        your_symbols=your_symbols,
        symbol_overlap=symbol_overlap,
    )


def test_a_conflict_names_holder_claim_expiry_and_every_way_forward() -> None:
    response = CreateClaimsResponse(conflicts=[conflict()], next_step="server says wait")
    outcome = conflict_refusal(response, waited_seconds=0, now=NOW)
    assert not outcome.ok
    assert outcome.refusal is not None
    assert outcome.refusal.code == "conflict"
    assert outcome.refusal.http_status == 409
    assert outcome.refusal.blockers[0].conflicting_claim.engineer == "alex/claude/main"
    assert "alex/claude/main holds 'src/auth/**' (claim clm_7) until 2026-11-24T12:05Z" in (
        outcome.summary
    )
    assert "wait_seconds=300" in outcome.next_step
    assert "request_release(claim_id='clm_7'" in outcome.next_step
    assert "symbols=" in outcome.next_step
    assert outcome.payload is response


def test_a_symbol_holder_suggests_narrowing_to_other_symbols() -> None:
    blocker = conflict(symbols=["Router::handleAuth"])
    outcome = conflict_refusal(CreateClaimsResponse(conflicts=[blocker]), 0, now=NOW)
    assert "other than Router::handleAuth" in outcome.next_step


def test_overlapping_symbols_are_named_to_drop() -> None:
    collides = [SymbolOverlap(file="src/auth/login.ts", symbols=["Router::go"])]
    blocker = conflict(
        symbols=["Router"], your_symbols=["Router::go", "boot"], symbol_overlap=collides
    )
    outcome = conflict_refusal(CreateClaimsResponse(conflicts=[blocker]), 0, now=NOW)
    assert "drop Router::go from your symbols for 'src/auth/login.ts'" in outcome.next_step


def test_a_wait_that_ran_out_is_a_queue_timeout() -> None:
    response = CreateClaimsResponse(conflicts=[conflict()], queue_id="q1")
    outcome = conflict_refusal(response, waited_seconds=30, now=NOW)
    assert outcome.refusal is not None
    assert outcome.refusal.code == "queue_timeout"
    assert "after 30 s in the queue" in outcome.summary


def test_a_cancelled_wait_says_so() -> None:
    response = CreateClaimsResponse(
        conflicts=[conflict()], queue_id="q1", next_step="queue entry q1 was cancelled before ..."
    )
    outcome = conflict_refusal(response, waited_seconds=30, now=NOW)
    assert outcome.refusal is not None
    assert outcome.refusal.code == "queue_cancelled"


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [(timedelta(seconds=5), 30), (timedelta(minutes=3), 180), (timedelta(hours=4), 600)],
)
def test_suggested_wait_is_bounded(expires_in: timedelta, expected: int) -> None:
    assert suggested_wait([conflict(expires_in=expires_in)], NOW) == expected


def test_unauthorized_names_the_file_to_fix() -> None:
    error = CoordError(ErrorCode.UNAUTHORIZED, "missing bearer token", status=401)
    outcome = error_refusal(error, HINTS, "LOOK IT UP")
    assert outcome.refusal is not None
    assert outcome.refusal.code == "unauthorized"
    assert outcome.refusal.http_status == 401
    assert outcome.refusal.config_file == "/repo/.coordination/local.env"
    assert outcome.next_step == "FIX AUTH"


def test_unreachable_says_how_to_start_the_service() -> None:
    error = CoordError(ErrorCode.UNAVAILABLE, "coord service at http://x is unreachable")
    assert error_refusal(error, HINTS, "LOOK IT UP").next_step == "START IT"


def test_not_found_uses_the_tool_specific_step() -> None:
    error = CoordError(ErrorCode.NOT_FOUND, "no claim clm_1", status=404)
    assert error_refusal(error, HINTS, "LOOK IT UP").next_step == "LOOK IT UP"


def test_rate_limiting_says_how_long_to_wait() -> None:
    error = CoordError(ErrorCode.RATE_LIMITED, "slow down", status=429, retry_after=3)
    outcome = error_refusal(error, HINTS, "")
    assert outcome.refusal is not None
    assert outcome.refusal.retry_after_seconds == 3.0
    assert "wait 3 s" in outcome.next_step


def test_forbidden_explains_token_binding() -> None:
    error = CoordError(ErrorCode.FORBIDDEN, "token bound to bob", status=403)
    outcome = error_refusal(error, HINTS, "")
    assert outcome.refusal is not None
    assert outcome.refusal.code == "forbidden"
    assert "issued for" in outcome.next_step


def test_server_symbol_hints_become_known_symbols() -> None:
    error = CoordError(
        ErrorCode.INVALID_SYMBOL, "unknown symbol", status=400, path="a.py", hint=["go", "stop"]
    )
    outcome = error_refusal(error, HINTS, "")
    assert outcome.refusal is not None
    assert outcome.refusal.known_symbols == {"a.py": ["go", "stop"]}


@pytest.mark.parametrize(
    ("code", "detail", "expected"),
    [
        (ErrorCode.NOT_FOUND, "no such route; GET /openapi.json lists every route", True),
        (ErrorCode.NOT_FOUND, "release requests are not available on this server yet", True),
        (ErrorCode.METHOD_NOT_ALLOWED, "this route does not accept that method", True),
        (ErrorCode.NOT_FOUND, "no release request req_1", False),
        (ErrorCode.CONFLICT, "no such route", False),
    ],
)
def test_missing_routes_are_told_apart_from_missing_records(
    code: ErrorCode, detail: str, expected: bool
) -> None:
    assert missing_route(CoordError(code, detail)) is expected
