"""What a checkout adds to a request: scope limits, zero-match warnings, overlap file lists.

Each request is checked against the checkout of its own repository (`Checkouts.for_repo`).
None of it changes a decision (SPEC §3): without a checkout every function here is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from coord_engine.claims import ClaimRequest
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.repo.checkouts import Checkouts
from coord_server.repo.limits import check_scope
from coord_server.repo.tracked import TrackedFiles
from coord_server.service.convert import engine_errors

OVERLAP_LIST_LIMIT = 50


@dataclass(slots=True)
class ScopeReport:
    """Warnings about a request's patterns, and the tracked files behind any overlap."""

    tracked: TrackedFiles | None = None
    warnings: list[str] = field(default_factory=list)

    def overlap(self, a: str, b: str) -> list[str]:
        """Tracked files matched by both patterns (empty without a checkout)."""
        if self.tracked is None:
            return []
        with engine_errors():  # matching is work-bounded too
            return self.tracked.matching_both(a, b, OVERLAP_LIST_LIMIT)


class ScopeChecker:
    """The checkouts' view of requests: limits, warnings, file lists (no-ops without one)."""

    def __init__(self, checkouts: Checkouts, max_files: int, max_ratio: float) -> None:
        self.checkouts = checkouts
        self.max_files = max_files
        self.max_ratio = max_ratio

    @property
    def configured(self) -> bool:
        """At least one checkout is known."""
        return self.checkouts.configured

    async def tracked(self, repo: str | None) -> TrackedFiles | None:
        """The tracked files of the checkout serving `repo`, when there is one."""
        checkout = self.checkouts.for_repo(repo)
        return None if checkout is None else await checkout.files.snapshot()

    async def warm(self) -> None:
        """List every checkout once, so the first claim of each does not pay for git."""
        for checkout in self.checkouts.known():
            await checkout.files.snapshot()

    async def check(self, request: ClaimRequest) -> ScopeReport:
        """Refuse (400) broad patterns and unknown symbols; warn about patterns matching nothing."""
        checkout = self.checkouts.for_repo(request.repo)
        if checkout is None:
            return ScopeReport()
        symbol_warnings = await checkout.symbols.check(request)
        tracked = await checkout.files.snapshot()
        if tracked is None:
            return ScopeReport(warnings=symbol_warnings)
        patterns = [item.pattern for item in request.items]
        scoped = checkout.files.scoped
        with engine_errors():
            violations = check_scope(tracked, patterns, self.max_files, self.max_ratio, scoped)
        if violations:
            raise CoordError(
                ErrorCode.SCOPE_TOO_BROAD,
                " ".join(violation.message for violation in violations),
                violations=[
                    {"pattern": v.pattern, "matched": v.matched, "limit": v.limit, "kind": v.kind}
                    for v in violations
                ],
            )
        return ScopeReport(tracked, [*zero_match_warnings(tracked, patterns), *symbol_warnings])


def zero_match_warnings(tracked: TrackedFiles, patterns: Sequence[str]) -> list[str]:
    """A warning per pattern that matches no tracked file, with a 'did you mean' when one exists."""
    warnings = []
    for pattern in patterns:
        with engine_errors():
            if tracked.has_match(pattern):
                continue
            hint = tracked.did_you_mean(pattern)
        suffix = f"; did you mean {hint!r}?" if hint else " (a new file is fine)."
        warnings.append(f"pattern {pattern!r} matches no tracked file{suffix}")
    return warnings
