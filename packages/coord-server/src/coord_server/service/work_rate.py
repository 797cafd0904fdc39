"""How much pattern work each engineer may ask for per second: a token bucket of engine steps.

Every check is bounded on its own (`coord_engine.budget`), but a client that keeps sending new
costly patterns, each just under its budget, would still take a large share of the one event
loop everybody waits on. Each person's requests (every engineer name beneath one root, see
`bucket_of`) draw the steps they cost from a bucket that refills at `STEPS_PER_SEC`; a request
that finds it empty is refused with 429 and told when to retry, and one that empties it midway
stops there. Cached answers cost no steps, so everyday
use never comes near it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime

from coord_engine.budget import REQUEST_STEPS
from coord_protocol.errors import CoordError, ErrorCode

STEPS_PER_SEC = 20_000
"""Refill rate of one engineer's bucket: a few percent of the event loop's time at most (a
step costs 1 to 3 µs inside the server)."""

BURST_STEPS = 60_000
"""A full bucket: a few costly requests in a row before the rate applies."""

_MAX_ENGINEERS = 10_000
"""Buckets kept (least recently used dropped first: a dropped bucket is simply full again)."""


class WorkRate:
    """Per-engineer buckets of engine steps, refilled by the clock the caller passes."""

    def __init__(self, steps_per_sec: int = STEPS_PER_SEC, burst: int = BURST_STEPS) -> None:
        self.steps_per_sec = steps_per_sec
        self.burst = burst
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allowance(self, engineer: str, now: datetime) -> int:
        """The steps `engineer`'s next request may take; raises 429 when the bucket is empty."""
        balance = self._balance(engineer, now)
        if balance < 1:
            raise self.refusal(engineer, balance)
        return min(REQUEST_STEPS, int(balance))

    def charge(self, engineer: str, steps: int, now: datetime) -> None:
        """Take `steps` from `engineer`'s bucket (it may go below zero: the debt is waited off)."""
        key = bucket_of(engineer)
        self._buckets[key] = (self._balance(engineer, now) - steps, now.timestamp())
        self._buckets.move_to_end(key)
        while len(self._buckets) > _MAX_ENGINEERS:
            self._buckets.popitem(last=False)

    def refusal(self, engineer: str, balance: float) -> CoordError:
        """The 429 for an engineer whose bucket holds `balance` steps."""
        wait = max(1, math.ceil((1 - balance) / self.steps_per_sec))
        return CoordError(
            ErrorCode.RATE_LIMITED,
            f"{bucket_of(engineer)} asked for more pattern work than coord grants one engineer "
            f"({self.steps_per_sec:,} steps a second); retry in {wait} s, or use fewer and "
            "simpler globs (literal paths cost nearly nothing).",
            retry_after=wait,
        )

    def _balance(self, engineer: str, now: datetime) -> float:
        found = self._buckets.get(bucket_of(engineer))
        if found is None:
            return float(self.burst)
        balance, at = found
        elapsed = max(0.0, now.timestamp() - at)
        return min(float(self.burst), balance + elapsed * self.steps_per_sec)


def bucket_of(engineer: str) -> str:
    """Whose bucket a request draws from: the person at the root of the engineer's name, so
    `alex/claude/main` and `alex/cursor/x` share alex's, and inventing new names under one
    person buys no more of the event loop (the names an engineer token may use share it too)."""
    return engineer.split("/", 1)[0]
