"""Work budgets: every search over pattern automata counts its steps and stops at a limit.

coord decides on one event loop, so one costly pattern would stall every engineer. The limits
are counted, never timed (the engine has no clock): compiling counts the automaton states it
builds, overlap and inclusion count the search steps they take, and matching counts the
characters it reads and the automaton edges it follows. Past its limit an operation raises
`PatternTooComplex`. The intake rules (`patterns.MAX_SEGMENT_WILDCARDS` and its siblings) keep
every admitted pattern far below these budgets; docs/patterns.md ("Limits") gives the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from coord_engine.patterns import PatternTooComplex

COMPILE_STATES = 512
"""Most states the automaton of one pattern may have (an admitted glob needs at most about 330)."""

OVERLAP_STEPS = 4_000
"""Most product pairs and edge pairs one overlap search may explore (everyday pairs of globs
take 10 to 500)."""

COVERS_STEPS = 5_000
"""Most search states, edge pairs and alphabet splits one inclusion check may explore
(everyday pairs take 100 to 2,000; two `**` on each side up to about 4,000)."""

MATCH_STEPS = 50_000
"""Most characters read plus automaton edges followed in matching one path (a path costs about
one step per character once its pattern's table is warm)."""


REQUEST_STEPS = 20_000
"""Most weighted steps all the checks of one request may take together (see `Work.limit`): a
batch of thousands of costly patterns stops here rather than adding up to seconds."""

COMPILE_STATE_WEIGHT = 6
"""Search steps one compiled state costs about as much as, for a request's total."""


@dataclass(slots=True)
class Work:
    """Steps spent, per kind of operation, by the calls that were handed this object.

    Caches are used as usual: an answer found in a cache costs nothing, so the counts are the
    work actually done. With `limit` set, the calls together stop at that many weighted steps
    (`total`), raising `PatternTooComplex` with `request_bound` set.
    """

    compile: int = 0
    overlap: int = 0
    covers: int = 0
    match: int = 0
    limit: int | None = None

    @property
    def total(self) -> int:
        """Weighted steps so far: compiled states weigh `COMPILE_STATE_WEIGHT` each."""
        return self.compile * COMPILE_STATE_WEIGHT + self.overlap + self.covers + self.match

    def charge(self, kind: str, steps: int) -> None:
        """Add `steps` of `kind` (`compile`, `overlap`, `covers` or `match`)."""
        setattr(self, kind, getattr(self, kind) + steps)


class Meter:
    """Counts the steps of one operation and raises once they pass its limit.

    Given a `Work` with a limit, the meter's limit shrinks to what that work has left, so one
    request's operations stop together at the request's total.
    """

    __slots__ = ("kind", "limit", "pattern", "reported", "request_bound", "steps", "what", "work")

    def __init__(
        self, pattern: str, what: str, limit: int, work: Work | None = None, kind: str = ""
    ) -> None:
        self.pattern, self.what, self.limit, self.steps = pattern, what, limit, 0
        self.work, self.kind = work, kind
        self.reported, self.request_bound = limit, False
        if work is not None and work.limit is not None:
            weight = COMPILE_STATE_WEIGHT if kind == "compile" else 1
            left = max(0, (work.limit - work.total) // weight)
            if left < limit:
                self.limit, self.reported, self.request_bound = left, work.limit, True
                self.what = "pattern work of one request (weighted steps)"

    def spend(self, steps: int) -> None:
        """Add `steps`; raises `PatternTooComplex` naming the pattern once over the limit."""
        self.steps += steps
        if self.steps > self.limit:
            raise PatternTooComplex(self.pattern, self.what, self.reported, self.request_bound)

    def close(self) -> None:
        """Charge the steps taken to the work this meter counts for, if any."""
        if self.work is not None and self.kind:
            self.work.charge(self.kind, self.steps)
