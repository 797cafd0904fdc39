"""`/conflicts`: would these patterns conflict? The same decision as POST /claims, read only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_protocol.conflicts import Conflict, ConflictCheckResponse
from coord_server.repo import ScopeChecker, ScopeReport, zero_match_warnings
from coord_server.service.arbiter import Arbiter
from coord_server.service.claims import ClaimBook
from coord_server.service.convert import wire_conflicts
from coord_server.storage import repo_key


class ConflictCheck:
    """Answers `/conflicts` against the claims as they are now, in one repo or all of them."""

    def __init__(self, arbiter: Arbiter, book: ClaimBook, scope: ScopeChecker) -> None:
        self.arbiter = arbiter
        self.book = book
        self.scope = scope

    async def check(
        self,
        engineer: str,
        items: tuple[ClaimItem, ...],
        repo: str | None,
        all_repos: bool,
        session_ids: Sequence[str],
    ) -> ConflictCheckResponse:
        """Every conflict the items would meet, with the warnings a claim would get."""
        views = (
            await self.arbiter.all_current()
            if all_repos
            else await self.arbiter.current([repo_key(repo)])
        )
        tracked = await self.scope.tracked(repo)
        report = ScopeReport(tracked)
        now = self.arbiter.clock()
        conflicts: list[Conflict] = []
        for view in sorted(views, key=lambda v: v.key):
            request = ClaimRequest(engineer, None, view.repo, items)
            decision = self.book.decide_on(view, request, now, session_ids, metered=True)
            conflicts += wire_conflicts(decision.conflicts, view.claims, report.overlap)
        patterns = [item.pattern for item in items]
        warnings = [] if tracked is None else zero_match_warnings(tracked, patterns)
        return ConflictCheckResponse(
            has_conflicts=bool(conflicts),
            conflicts=conflicts,
            safe=not conflicts,
            safe_to_proceed=not conflicts,
            suggestion=_suggestion(conflicts),
            warnings=warnings,
        )


def _suggestion(conflicts: list[Any]) -> str | None:
    if not conflicts:
        return None
    holders = sorted({c.conflicting_claim.engineer for c in conflicts})
    return (
        f"held by {', '.join(holders)}: claim with wait_seconds to queue, narrow to other "
        "symbols, or ask the holder to release."
    )
