"""The per-engineer bucket of pattern work: full at first, refused with 429 when spent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord_engine.budget import REQUEST_STEPS
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.service.work_rate import WorkRate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_fresh_engineer_may_spend_a_whole_request() -> None:
    rate = WorkRate(steps_per_sec=1_000, burst=100_000)
    assert rate.allowance("kim", T0) == REQUEST_STEPS


def test_a_spent_bucket_is_refused_with_when_to_retry_and_refills_with_time() -> None:
    rate = WorkRate(steps_per_sec=1_000, burst=10_000)
    rate.charge("kim", 12_500, T0)  # 2,500 in debt
    with pytest.raises(CoordError) as caught:
        rate.allowance("kim", T0)
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert caught.value.extra["retry_after"] == 3
    assert "kim" in caught.value.detail and "1,000 steps a second" in caught.value.detail
    assert rate.allowance("sam", T0) == 10_000  # others keep their own bucket
    assert rate.allowance("kim", T0 + timedelta(seconds=3)) == 500
    assert rate.allowance("kim", T0 + timedelta(hours=1)) == 10_000  # never above the burst


def test_names_beneath_one_person_share_that_persons_bucket() -> None:
    rate = WorkRate(steps_per_sec=1_000, burst=10_000)
    rate.charge("kim/claude/main", 12_500, T0)
    with pytest.raises(CoordError) as caught:
        rate.allowance("kim/invented/name", T0)  # a new name buys no more of the loop
    assert "kim asked for more pattern work" in caught.value.detail
    assert rate.allowance("kimberly/claude/main", T0) == 10_000
