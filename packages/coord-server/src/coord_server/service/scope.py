"""What the checkout adds to a request: scope limits, zero-match warnings, overlap file lists.

None of it changes a decision (SPEC §3): without a checkout every function here is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coord_engine.claims import ClaimRequest
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.repo_files import TrackedFiles

if TYPE_CHECKING:
    from coord_server.context import AppContext

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
        return self.tracked.matching_both(a, b, OVERLAP_LIST_LIMIT)


async def tracked_files(ctx: AppContext) -> TrackedFiles | None:
    """The checkout's tracked files, when the server has a checkout."""
    return None if ctx.repo_files is None else await ctx.repo_files.snapshot()


async def check_scope(ctx: AppContext, request: ClaimRequest) -> ScopeReport:
    """Refuse (400) broad patterns and unknown symbols; warn about patterns matching nothing."""
    symbol_warnings = [] if ctx.symbols is None else await ctx.symbols.check(request)
    tracked = await tracked_files(ctx)
    if tracked is None:
        return ScopeReport(warnings=symbol_warnings)
    patterns = [item.pattern for item in request.items]
    settings = ctx.settings
    scoped = ctx.repo_files is not None and ctx.repo_files.scoped
    violations = tracked.check_scope(
        patterns, settings.max_claim_files, settings.max_claim_ratio, scoped
    )
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
        if tracked.has_match(pattern):
            continue
        hint = tracked.did_you_mean(pattern)
        suffix = f"; did you mean {hint!r}?" if hint else " (a new file is fine)."
        warnings.append(f"pattern {pattern!r} matches no tracked file{suffix}")
    return warnings
