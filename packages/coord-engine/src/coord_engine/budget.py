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

COVERS_STEPS = 8_000
"""Most search states, edge pairs and alphabet splits one inclusion check may explore
(everyday pairs take 100 to 2,000; two `**` on each side up to about 4,000)."""

MATCH_STEPS = 50_000
"""Most characters read plus automaton edges followed in matching one path (a path costs about
one step per character once its pattern's table is warm)."""


@dataclass(slots=True)
class Work:
    """Steps spent, per kind of operation, by the calls that were handed this object.

    Passing one bypasses the result caches, so the counts are what the work costs from cold.
    """

    compile: int = 0
    overlap: int = 0
    covers: int = 0
    match: int = 0


class Meter:
    """Counts the steps of one operation and raises once they pass its limit."""

    __slots__ = ("limit", "pattern", "steps", "what")

    def __init__(self, pattern: str, what: str, limit: int) -> None:
        self.pattern = pattern
        self.what = what
        self.limit = limit
        self.steps = 0

    def spend(self, steps: int) -> None:
        """Add `steps`; raises `PatternTooComplex` naming the pattern once over the limit."""
        self.steps += steps
        if self.steps > self.limit:
            raise PatternTooComplex(self.pattern, self.what, self.limit)
