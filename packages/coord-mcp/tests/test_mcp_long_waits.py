"""Long waits (up to 600 s) are never cut short by the bridge's own HTTP timeout."""

from __future__ import annotations

import pytest

from coord_protocol.claims import ClaimSpec, CreateClaimsRequest
from coord_protocol.client import Call, Calls
from coord_protocol.requests import CreateReleaseRequest


@pytest.mark.parametrize(
    ("call", "wait"),
    [
        (
            Calls.create_claims(
                CreateClaimsRequest(engineer="a", claims=[ClaimSpec(pattern="x")], wait_seconds=600)
            ),
            600,
        ),
        (
            Calls.request_release(CreateReleaseRequest(claim_id="c", reason="r", wait_seconds=600)),
            600,
        ),
        (Calls.release_request("req_1", wait_seconds=600), 600),
    ],
)
def test_a_long_poll_outlasts_its_wait(call: Call, wait: int) -> None:
    assert call.timeout >= wait + 10


def test_the_wait_reaches_the_service() -> None:
    assert Calls.release_request("req_1", wait_seconds=45).params == [("wait_seconds", "45")]
    assert Calls.release_request("req_1").params == []
