"""Queue order (urgency, age boost, decay, fairness) and grant selection (SPEC §6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine.claims import ActiveClaim, ClaimItem, ClaimRequest, Policy, QueuePolicy
from coord_engine.decide import decide
from coord_engine.index import RepoIndexes
from coord_engine.queue import (
    PENDING_ID_PREFIX,
    QueueEntry,
    effective_rank,
    effective_urgency,
    order_waiters,
    pending_claim_id,
    pending_claims,
    select_grants,
)
from coord_protocol.vocab import ClaimType, Severity, Urgency

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
LOW, NORMAL, HIGH, BLOCKING = Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.BLOCKING


def waiter(
    queue_id: str,
    urgency: Urgency = NORMAL,
    waited: float = 0.0,
    *items: ClaimItem,
    seq: int = 0,
    engineer: str | None = None,
    repo: str | None = None,
) -> QueueEntry:
    request = ClaimRequest(
        engineer=engineer or f"eng-{queue_id}",
        session_id=None,
        repo=repo,
        items=items or (ClaimItem(ClaimType.FILE, f"work/{queue_id}.txt"),),
    )
    return QueueEntry(queue_id, urgency, NOW - timedelta(seconds=waited), seq, request)


def file_item(pattern: str, symbols: tuple[str, ...] | None = None) -> ClaimItem:
    return ClaimItem(ClaimType.FILE, pattern, symbols)


def holder(
    pattern: str,
    claim_id: str = "h1",
    claim_type: ClaimType = ClaimType.FILE,
    symbols: tuple[str, ...] | None = None,
) -> ActiveClaim:
    return ActiveClaim(
        id=claim_id,
        engineer="holder",
        session_id=None,
        repo=None,
        claim_type=claim_type,
        pattern=pattern,
        symbols=symbols,
        narrowable=claim_type is ClaimType.FILE,
        shared=False,
        severity=Severity.SOFT,
        description=None,
        expires_at=NOW + timedelta(hours=1),
    )


def ids(entries: Iterable[QueueEntry]) -> list[str]:
    return [entry.queue_id for entry in entries]


# --- effective rank --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "waited", "boost", "decay", "expected"),
    [
        (NORMAL, 0, 60, 0, NORMAL),
        (NORMAL, 59.9, 60, 0, NORMAL),
        (NORMAL, 60, 60, 0, HIGH),
        (LOW, 600, 60, 0, NORMAL),
        (LOW, 10_000, 0, 0, LOW),
        (HIGH, 61, 60, 0, BLOCKING),
        (BLOCKING, 120, 60, 0, BLOCKING),
        (HIGH, 9.9, 0, 10, HIGH),
        (HIGH, 10, 0, 10, NORMAL),
        (BLOCKING, 25, 0, 10, NORMAL),
        (HIGH, 1_000, 0, 10, LOW),
        (HIGH, 60, 60, 30, NORMAL),
        (LOW, 60, 60, 30, NORMAL),
        (BLOCKING, 59, 60, 30, HIGH),
        (NORMAL, -5, 60, 10, NORMAL),
    ],
)
def test_effective_rank_decays_then_boosts(
    urgency: Urgency, waited: float, boost: float, decay: float, expected: Urgency
) -> None:
    qpolicy = QueuePolicy(age_boost_seconds=boost, decay_seconds=decay)
    entry = waiter("q", urgency, waited)
    assert effective_rank(entry, NOW, qpolicy) == expected.rank
    assert effective_urgency(entry, NOW, qpolicy) is expected


# --- order -------------------------------------------------------------------------------------


def test_order_is_by_urgency_then_arrival() -> None:
    entries = [
        waiter("a", NORMAL, 10),
        waiter("b", HIGH, 5),
        waiter("c", NORMAL, 30),
        waiter("d", LOW, 40),
        waiter("e", BLOCKING, 1),
    ]
    assert ids(order_waiters(entries, NOW, QueuePolicy())) == ["e", "b", "c", "a", "d"]


def test_equal_arrival_is_broken_by_sequence() -> None:
    entries = [waiter("late", waited=5, seq=8), waiter("early", waited=5, seq=7)]
    assert ids(order_waiters(entries, NOW, QueuePolicy())) == ["early", "late"]


def test_age_boost_lifts_an_old_waiter_above_newer_equal_ranks() -> None:
    entries = [waiter("fresh-normal", NORMAL, 10), waiter("old-low", LOW, 61), waiter("hi", HIGH)]
    qpolicy = QueuePolicy(age_boost_seconds=60)
    assert ids(order_waiters(entries, NOW, qpolicy)) == ["hi", "old-low", "fresh-normal"]
    assert ids(order_waiters(entries, NOW, QueuePolicy(age_boost_seconds=0))) == [
        "hi",
        "fresh-normal",
        "old-low",
    ]


def test_decay_lets_fresh_work_pass_stale_urgency() -> None:
    entries = [waiter("stale-blocking", BLOCKING, 45), waiter("fresh-high", HIGH, 1)]
    qpolicy = QueuePolicy(age_boost_seconds=0, decay_seconds=20)
    assert ids(order_waiters(entries, NOW, qpolicy)) == ["fresh-high", "stale-blocking"]


def test_fairness_slot_goes_to_the_oldest_waiter() -> None:
    entries = [
        waiter("old-low", LOW, 50),
        waiter("new-blocking", BLOCKING, 1),
        waiter("new-high", HIGH, 2),
        waiter("mid-normal", NORMAL, 20),
    ]
    qpolicy = QueuePolicy(age_boost_seconds=0, fairness_interval=3)
    assert ids(order_waiters(entries, NOW, qpolicy, grants_so_far=1)) == [
        "new-blocking",
        "old-low",
        "new-high",
        "mid-normal",
    ]
    assert ids(order_waiters(entries, NOW, qpolicy, grants_so_far=2)) == [
        "old-low",
        "new-blocking",
        "new-high",
        "mid-normal",
    ]
    assert ids(order_waiters(entries, NOW, qpolicy, grants_so_far=0)) == [
        "new-blocking",
        "new-high",
        "old-low",
        "mid-normal",
    ]


def test_fairness_skips_waiters_already_placed_by_rank() -> None:
    entries = [waiter("old-blocking", BLOCKING, 50), waiter("n", NORMAL, 30), waiter("h", HIGH)]
    qpolicy = QueuePolicy(age_boost_seconds=0, fairness_interval=2)
    assert ids(order_waiters(entries, NOW, qpolicy)) == ["old-blocking", "n", "h"]


def test_fairness_every_grant_is_first_in_first_out() -> None:
    entries = [waiter("b", BLOCKING, 1), waiter("l", LOW, 9), waiter("h", HIGH, 5)]
    qpolicy = QueuePolicy(fairness_interval=1)
    assert ids(order_waiters(entries, NOW, qpolicy, grants_so_far=17)) == ["l", "h", "b"]


def test_fairness_off_ignores_the_grant_count() -> None:
    entries = [waiter("b", BLOCKING, 1), waiter("l", LOW, 9)]
    assert ids(order_waiters(entries, NOW, QueuePolicy(), grants_so_far=5)) == ["b", "l"]
    assert order_waiters([], NOW, QueuePolicy(fairness_interval=2)) == []


# --- grant selection -------------------------------------------------------------------------


class Lookup:
    """Index-backed candidate lookup over a fixed set of active claims, recording its calls."""

    def __init__(self, *claims: ActiveClaim) -> None:
        self.claims = {claim.id: claim for claim in claims}
        self.index: RepoIndexes[str] = RepoIndexes()
        for claim in claims:
            self.index.add(claim.repo, claim.id, claim.pattern)
        self.asked: list[ClaimRequest] = []

    def __call__(self, request: ClaimRequest) -> list[ActiveClaim]:
        self.asked.append(request)
        patterns = [item.pattern for item in request.items]
        keys = self.index.union_candidates(request.repo, patterns)
        return [self.claims[key] for key in sorted(keys)]


def granted_ids(
    entries: list[QueueEntry], lookup: Lookup, policy: Policy | None = None
) -> list[str]:
    return [entry.queue_id for entry, _ in select_grants(entries, lookup, policy or Policy(), NOW)]


def test_waiter_is_granted_once_nothing_blocks_it() -> None:
    entries = [waiter("q1", NORMAL, 5, file_item("src/a.ts"))]
    ((entry, decision),) = select_grants(entries, Lookup(), Policy(), NOW)
    assert entry.queue_id == "q1"
    assert decision.granted
    assert decision.grants[0].item.pattern == "src/a.ts"


def test_waiter_behind_a_current_holder_stays_queued() -> None:
    entries = [waiter("q1", NORMAL, 5, file_item("src/a.ts"))]
    assert granted_ids(entries, Lookup(holder("src/*.ts"))) == []


def test_expired_holder_no_longer_blocks() -> None:
    expired = replace(holder("src/a.ts"), expires_at=NOW)
    entries = [waiter("q1", NORMAL, 5, file_item("src/a.ts"))]
    assert granted_ids(entries, Lookup(expired)) == ["q1"]


def test_one_release_grants_several_waiters_with_disjoint_scopes() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/a.ts")),
        waiter("q2", NORMAL, 8, file_item("src/b.ts")),
        waiter("q3", NORMAL, 7, file_item("lib/**")),
    ]
    assert granted_ids(entries, Lookup()) == ["q1", "q2", "q3"]


def test_overlapping_waiters_are_served_one_at_a_time_in_order() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/a.ts")),
        waiter("q2", NORMAL, 8, file_item("src/*.ts")),
        waiter("q3", NORMAL, 7, file_item("src/b.ts")),
        waiter("q4", NORMAL, 6, file_item("lib/c.ts")),
    ]
    # q3 does not touch q1's file, but it may not pass q2, which the grant to q1 now blocks.
    assert granted_ids(entries, Lookup()) == ["q1", "q4"]


def test_later_waiter_never_overtakes_an_earlier_blocked_one_it_overlaps() -> None:
    entries = [
        waiter("q1", HIGH, 9, file_item("src/*")),
        waiter("q2", NORMAL, 8, file_item("src/b.ts")),
        waiter("q3", NORMAL, 7, file_item("lib/x.ts")),
    ]
    lookup = Lookup(holder("src/a.ts"))
    assert granted_ids(entries, lookup) == ["q3"]
    assert [request.engineer for request in lookup.asked] == ["eng-q1", "eng-q3"]


@pytest.mark.parametrize(
    ("earlier_item", "later_item"),
    [
        (file_item("src/*.ts", ("f",)), file_item("src/r.ts")),
        (file_item("src/*.ts"), file_item("src/r.ts", ("f",))),
    ],
    ids=["later-file-vs-earlier-symbol", "later-symbol-vs-earlier-file"],
)
def test_waiters_contend_when_either_would_block_the_other(
    earlier_item: ClaimItem, later_item: ClaimItem
) -> None:
    entries = [waiter("q1", NORMAL, 9, earlier_item), waiter("q2", NORMAL, 8, later_item)]
    lookup = Lookup(holder("src/a.ts", claim_type=ClaimType.MODULE))
    assert granted_ids(entries, lookup) == []


def test_symbol_waiters_on_different_symbols_are_granted_together() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/r.ts", ("Router::handleAuth",))),
        waiter("q2", NORMAL, 8, file_item("src/r.ts", ("Router::handleLogout",))),
        waiter("q3", NORMAL, 7, file_item("src/r.ts", ("Router",))),
    ]
    selected = select_grants(entries, Lookup(), Policy(), NOW)
    assert [entry.queue_id for entry, _ in selected] == ["q1", "q2"]
    second = selected[1][1].grants[0]
    assert second.coexists_with == (pending_claim_id("q1", 0),)
    assert second.coexists_with[0].startswith(PENDING_ID_PREFIX)


def test_waiters_of_one_engineer_never_block_each_other() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/*"), engineer="alice"),
        waiter("q2", NORMAL, 8, file_item("src/b.ts"), engineer="alice"),
    ]
    assert granted_ids(entries, Lookup(holder("src/a.ts"))) == ["q2"]


def test_shared_waiter_passes_a_blocked_exclusive_one() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/*")),
        waiter("q2", NORMAL, 8, ClaimItem(ClaimType.SHARED_FILE, "src/b.ts")),
    ]
    assert granted_ids(entries, Lookup(holder("src/a.ts"))) == ["q2"]


def test_waiters_in_other_repos_are_independent() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/*")),
        waiter("q2", NORMAL, 8, file_item("src/b.ts"), repo="acme/api"),
    ]
    assert granted_ids(entries, Lookup(holder("src/a.ts"))) == ["q2"]


def test_batch_waiter_is_granted_whole_or_not_at_all() -> None:
    entries = [
        waiter("q1", NORMAL, 9, file_item("src/a.ts")),
        waiter("q2", NORMAL, 8, file_item("docs/x.md"), file_item("src/a.ts")),
        waiter("q3", NORMAL, 7, file_item("docs/y.md")),
    ]
    selected = select_grants(entries, Lookup(), Policy(), NOW)
    assert [entry.queue_id for entry, _ in selected] == ["q1", "q3"]


def test_fair_order_feeds_selection() -> None:
    entries = [
        waiter("old-low", LOW, 50, file_item("src/a.ts")),
        waiter("new-high", HIGH, 1, file_item("src/*.ts")),
    ]
    qpolicy = QueuePolicy(age_boost_seconds=0, fairness_interval=4)
    by_rank = order_waiters(entries, NOW, qpolicy, grants_so_far=0)
    fair = order_waiters(entries, NOW, qpolicy, grants_so_far=3)
    assert granted_ids(by_rank, Lookup()) == ["new-high"]
    assert granted_ids(fair, Lookup()) == ["old-low"]


# --- selection invariants on generated queues ------------------------------------------------

_queue_patterns = st.sampled_from(
    ["src/a.ts", "src/b.ts", "src/*.ts", "src/**", "lib/x.py", "*.md"]
)
_queue_items = st.builds(
    ClaimItem,
    type=st.sampled_from([ClaimType.FILE, ClaimType.MODULE, ClaimType.SHARED_FILE]),
    pattern=_queue_patterns,
    symbols=st.one_of(st.none(), st.sampled_from([("f",), ("g",), ("C",), ("C::m",)])),
)


@st.composite
def _queues(draw: st.DrawFn) -> tuple[list[QueueEntry], list[ActiveClaim]]:
    entries = [
        waiter(
            f"q{n}",
            NORMAL,
            100 - n,
            *draw(st.lists(_queue_items, min_size=1, max_size=2)),
            engineer=draw(st.sampled_from(["ann", "ben", "cat", "dan"])),
            repo=draw(st.sampled_from([None, None, "acme/web"])),
        )
        for n in range(draw(st.integers(0, 7)))
    ]
    patterns = draw(st.lists(_queue_patterns, max_size=2))
    return entries, [holder(pattern, f"h{n}") for n, pattern in enumerate(patterns)]


def _would_hold(entry: QueueEntry) -> tuple[ActiveClaim, ...]:
    return pending_claims(entry, decide(entry.request, (), Policy(), NOW))


def _blocks(entry: QueueEntry, claims: Iterable[ActiveClaim]) -> bool:
    return not decide(entry.request, claims, Policy(), NOW).granted


@settings(max_examples=200, deadline=None)
@given(_queues())
def test_selection_never_grants_contending_waiters_nor_overtakes(
    queue: tuple[list[QueueEntry], list[ActiveClaim]],
) -> None:
    entries, holders = queue
    chosen = {
        entry.queue_id for entry, _ in select_grants(entries, lambda _: holders, Policy(), NOW)
    }
    passed_over: list[QueueEntry] = []
    held: list[ActiveClaim] = list(holders)
    for entry in entries:
        behind = any(
            _blocks(entry, _would_hold(earlier)) or _blocks(earlier, _would_hold(entry))
            for earlier in passed_over
        )
        grantable = not behind and not _blocks(entry, held)
        assert (entry.queue_id in chosen) is grantable
        if grantable:
            held.extend(_would_hold(entry))
        else:
            passed_over.append(entry)
