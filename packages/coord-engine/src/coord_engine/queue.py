"""Queue order and grant selection for waiting claim requests (SPEC §6).

Order: effective urgency (declared urgency, decayed and boosted by waiting time), then arrival;
every n-th grant goes to the oldest waiter. Selection walks that order after a release and grants
every waiter that `decide()` accepts against the current claims plus the grants already chosen in
the same pass, but never lets a waiter overtake an earlier one it contends with.

How boost and decay combine: decay lowers the *declared* urgency one level per
`decay_seconds` of waiting, never below `low`; the age boost then adds one level once the entry has
waited `age_boost_seconds`, capped at `blocking`. Decay thus stops stale urgency from outranking
fresh work, while the boost still guarantees that an old waiter climbs above new `low` and `normal`
traffic (an entry that waited past the boost never ranks below `normal`). The boost applies from
the instant the wait reaches `age_boost_seconds`; a wait that looks negative (clock skew between
replicas) counts as zero.

Fairness counts grants "for a scope": the caller passes its own counter as `grants_so_far` (per
repo, or per blocking claim, as the server keeps it) and advances it by the number of grants made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from coord_engine.claims import ActiveClaim, ClaimRequest, Policy, QueuePolicy
from coord_engine.decide import Decision, decide
from coord_engine.index import RepoIndexes
from coord_engine.patterns import PatternTooComplex
from coord_protocol.vocab import Urgency

CandidateLookup = Callable[[ClaimRequest], Iterable[ActiveClaim]]
"""Returns the active claims a request could overlap (the server answers from its index)."""

PENDING_ID_PREFIX = "pending:"
"""Prefix of the ids given, within one selection pass, to grants not stored yet."""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A parked claim request; `seq` breaks ties between entries enqueued at the same instant."""

    queue_id: str
    urgency: Urgency
    enqueued_at: datetime
    seq: int
    request: ClaimRequest


def effective_rank(entry: QueueEntry, now: datetime, qpolicy: QueuePolicy) -> int:
    """Rank the entry is served at `now`: 0 (`low`) to 3 (`blocking`), decay then boost."""
    waited = max((now - entry.enqueued_at).total_seconds(), 0.0)
    rank = entry.urgency.rank
    if qpolicy.decay_seconds > 0:
        rank = max(rank - int(waited // qpolicy.decay_seconds), Urgency.LOW.rank)
    if qpolicy.age_boost_seconds > 0 and waited >= qpolicy.age_boost_seconds:
        rank += 1
    return min(rank, Urgency.BLOCKING.rank)


def effective_urgency(entry: QueueEntry, now: datetime, qpolicy: QueuePolicy) -> Urgency:
    """`effective_rank` as an urgency value, as shown in queue listings."""
    return Urgency.from_rank(effective_rank(entry, now, qpolicy))


def order_waiters(
    entries: Iterable[QueueEntry],
    now: datetime,
    qpolicy: QueuePolicy,
    grants_so_far: int = 0,
) -> list[QueueEntry]:
    """Waiters in the order they should be served.

    Position i of the result is the candidate for grant number `grants_so_far + i + 1`; when that
    number is a multiple of `fairness_interval` the slot goes to the oldest remaining waiter,
    otherwise to the highest effective rank (ties by arrival).
    """
    waiters = list(entries)
    by_rank = sorted(
        range(len(waiters)),
        key=lambda i: (-effective_rank(waiters[i], now, qpolicy), _arrival(waiters[i])),
    )
    interval = qpolicy.fairness_interval
    if interval <= 0:
        return [waiters[i] for i in by_rank]
    by_age = sorted(range(len(waiters)), key=lambda i: _arrival(waiters[i]))
    return [waiters[i] for i in _interleave(by_rank, by_age, grants_so_far, interval)]


def select_grants(
    ordered_waiters: Sequence[QueueEntry],
    active_claims_lookup: CandidateLookup,
    policy: Policy,
    now: datetime,
) -> list[tuple[QueueEntry, Decision]]:
    """The waiters to grant now, in order, each with its decision.

    A waiter is granted when `decide()` accepts it against `active_claims_lookup(request)` plus the
    claims granted earlier in this pass (given ids from `pending_claim_id`). A waiter that contends
    with an earlier waiter still blocked stays queued behind it, so one release can serve several
    waiters with disjoint scopes while overlapping ones keep their order.

    Store the grants in the order returned; a later decision may name an earlier one's pending
    id in `coexists_with` (see `pending_claim_id`), which the caller swaps for the stored id.
    """
    selected: list[tuple[QueueEntry, Decision]] = []
    planned: list[ActiveClaim] = []
    still_waiting = _WaitingLine()
    for entry in ordered_waiters:
        waiter = _Waiter(entry, _wanted_claims(entry, policy, now))
        if still_waiting.holds_back(waiter, policy, now):
            still_waiting.add(waiter)
            continue
        candidates = [*active_claims_lookup(entry.request), *planned]
        decision = _decide_or_none(entry, candidates, policy, now)
        if decision is not None and decision.granted:
            selected.append((entry, decision))
            planned.extend(pending_claims(entry, decision))
        else:
            still_waiting.add(waiter)
    return selected


def _decide_or_none(
    entry: QueueEntry, candidates: list[ActiveClaim], policy: Policy, now: datetime
) -> Decision | None:
    """`decide`, or None when an overlap is over its work budget: the waiter stays queued
    (it is never granted on an overlap nobody could decide) until it times out."""
    try:
        return decide(entry.request, candidates, policy, now)
    except PatternTooComplex:
        return None


def pending_claim_id(queue_id: str, item_index: int) -> str:
    """Id standing for the claim a queued grant's item will become, before it is stored."""
    return f"{PENDING_ID_PREFIX}{queue_id}:{item_index}"


def pending_claims(entry: QueueEntry, decision: Decision) -> tuple[ActiveClaim, ...]:
    """The claims `decision` grants to `entry`, under ids from `pending_claim_id`."""
    return tuple(
        grant.to_active_claim(pending_claim_id(entry.queue_id, index), entry.request)
        for index, grant in enumerate(decision.grants)
    )


@dataclass(frozen=True, slots=True)
class _Waiter:
    """A waiter met during selection, with the claims it would hold if granted."""

    entry: QueueEntry
    claims: tuple[ActiveClaim, ...]


class _WaitingLine:
    """Waiters passed over so far in a selection, indexed by the claims they would hold.

    A newcomer is compared exactly only with the waiters whose scopes the index says it could
    touch, so a long queue of unrelated blocked waiters costs little per newcomer.
    """

    __slots__ = ("_index", "_waiters")

    def __init__(self) -> None:
        self._waiters: list[_Waiter] = []
        self._index: RepoIndexes[tuple[int, int]] = RepoIndexes()

    def add(self, waiter: _Waiter) -> None:
        """Put `waiter` at the end of the line."""
        position = len(self._waiters)
        self._waiters.append(waiter)
        for item_index, claim in enumerate(waiter.claims):
            self._index.add(claim.repo, (position, item_index), claim.pattern)

    def holds_back(self, waiter: _Waiter, policy: Policy, now: datetime) -> bool:
        """True when some waiter already in line contends with `waiter`."""
        patterns = [claim.pattern for claim in waiter.claims]
        keys = self._index.union_candidates(waiter.entry.request.repo, patterns)
        positions = sorted({position for position, _ in keys})
        return any(_contend(waiter, self._waiters[p], policy, now) for p in positions)


def _arrival(entry: QueueEntry) -> tuple[datetime, int]:
    return entry.enqueued_at, entry.seq


def _interleave(
    by_rank: list[int], by_age: list[int], grants_so_far: int, interval: int
) -> Iterator[int]:
    taken: set[int] = set()
    ranked, aged = iter(by_rank), iter(by_age)
    for slot in range(len(by_rank)):
        source = aged if (grants_so_far + slot + 1) % interval == 0 else ranked
        # Entries already served from the other list are skipped (and consumed) here.
        index = next(i for i in source if i not in taken)
        taken.add(index)
        yield index


def _wanted_claims(entry: QueueEntry, policy: Policy, now: datetime) -> tuple[ActiveClaim, ...]:
    """The claims `entry` would hold if granted: its batch decided against nothing."""
    return pending_claims(entry, decide(entry.request, (), policy, now))


def _contend(later: _Waiter, earlier: _Waiter, policy: Policy, now: datetime) -> bool:
    """True when either waiter, once granted, would block the other (or that is undecided)."""
    try:
        blocks_later = not decide(later.entry.request, earlier.claims, policy, now).granted
        return blocks_later or not decide(earlier.entry.request, later.claims, policy, now).granted
    except PatternTooComplex:
        return True
