"""Claim records: the engine's view of a claim follows every change made to the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coord_protocol.vocab import ClaimType, Severity
from coord_server.service.records import ClaimRecord

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record() -> ClaimRecord:
    return ClaimRecord(
        id="clm_1", repo="acme/web", engineer="alex", claim_type=ClaimType.FILE,
        pattern="src/a.ts", symbols=None, narrowable=True, shared=False,
        severity=Severity.SOFT, session_id="s-1", fence=1, created_at=NOW,
        expires_at=NOW + timedelta(hours=4),
    )  # fmt: skip


def test_the_engine_view_is_reused_while_the_record_is_unchanged() -> None:
    held = record()
    first = held.active()
    held.fence, held.coexists_with, held.last_activity = 2, ["clm_2"], NOW  # not in the view
    assert held.active() is first
    assert (first.id, first.pattern, first.expires_at) == ("clm_1", "src/a.ts", held.expires_at)


def test_the_engine_view_follows_each_change_the_service_makes() -> None:
    held = record()
    held.active()
    held.expires_at = NOW + timedelta(minutes=5)  # a release request shortened it
    assert held.active().expires_at == NOW + timedelta(minutes=5)
    held.shared, held.severity = True, Severity.HARD  # owners.yaml changed
    assert held.active().shared and held.active().severity is Severity.HARD
    held.pattern = "src/a/login.ts"  # narrowed
    assert held.active().pattern == "src/a/login.ts"
    held.symbols, held.description = ("Router",), "now symbols"
    view = held.active()
    assert (view.symbols, view.description) == (("Router",), "now symbols")
