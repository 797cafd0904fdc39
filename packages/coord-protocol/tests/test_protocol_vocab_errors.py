"""Vocabularies, the error table and timestamps: the fixed parts of the wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from coord_protocol.errors import HTTP_STATUS, CoordError, ErrorCode, status_for
from coord_protocol.timestamps import as_utc, format_utc
from coord_protocol.vocab import AdherenceSource, ClaimType, EventType, RequestDecision, Urgency


def test_urgency_ranks_from_low_to_blocking() -> None:
    assert [u.rank for u in (Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.BLOCKING)] == [
        0,
        1,
        2,
        3,
    ]
    assert Urgency.from_rank(-5) is Urgency.LOW
    assert Urgency.from_rank(2) is Urgency.HIGH
    assert Urgency.from_rank(99) is Urgency.BLOCKING


def test_wire_spellings_are_the_contract() -> None:
    assert [c.value for c in ClaimType] == ["file", "module", "shared_file"]
    assert {d.value for d in RequestDecision} == {"approved", "denied", "narrowed", "coexist"}
    assert {e.value for e in EventType} == {
        "claim_granted", "claim_released", "claim_expired", "auto-coexist", "auto-narrow",
        "auto-promote", "auto-demote", "queue_grant", "queue_cancel", "request_filed",
        "request_decided", "adherence_low",
    }  # fmt: skip
    assert [s.value for s in AdherenceSource] == ["pre_push", "ci", "reconcile", "shell_hook"]
    assert [s.reports_commits for s in AdherenceSource] == [True, True, False, False]


def test_every_error_code_has_a_status() -> None:
    assert set(HTTP_STATUS) == set(ErrorCode)
    assert status_for(ErrorCode.CONFLICT) == 409
    assert status_for(ErrorCode.INVALID_PATTERN) == 400
    assert status_for(ErrorCode.VALIDATION_ERROR) == 422
    assert status_for(ErrorCode.UNAUTHORIZED) == 401


def test_coord_error_body_carries_detail_code_and_extras() -> None:
    error = CoordError(ErrorCode.INVALID_PATTERN, "pattern '!x' is a negation", rule="negation")
    assert error.status == 400
    assert error.body() == {
        "detail": "pattern '!x' is a negation",
        "code": "invalid_pattern",
        "rule": "negation",
    }
    assert "invalid_pattern" in repr(error)
    assert str(error) == "pattern '!x' is a negation"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "2026-11-24T10:00:00Z"),
        (datetime(2026, 11, 24, 10, 0), "2026-11-24T10:00:00Z"),
        (
            datetime(2026, 11, 24, 12, 0, tzinfo=timezone(timedelta(hours=2))),
            "2026-11-24T10:00:00Z",
        ),
        (datetime(2026, 11, 24, 10, 0, 0, 500, tzinfo=UTC), "2026-11-24T10:00:00.000500Z"),
    ],
)
def test_timestamps_are_utc_with_z(moment: datetime, expected: str) -> None:
    assert format_utc(moment) == expected
    assert as_utc(moment).tzinfo is UTC
