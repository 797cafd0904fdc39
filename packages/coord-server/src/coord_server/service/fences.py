"""The fence check (SPEC §16): reads the claims a batch of changed paths needs, then judges.

Three reads at most, whatever the batch size: the claims the trailers name, the repo's grants
newer than the oldest trailer's fence, and the claims held during the span of the bare entries'
moments. The verdicts themselves are computed in `fence_verdicts`, from those rows alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from coord_protocol.fences import GOOD_STATUSES, FenceCheckResponse, FenceEntry, FenceVerdict
from coord_server.service.arbiter import Clock
from coord_server.service.fence_verdicts import ClaimSet, Judge
from coord_server.service.records import ClaimRecord
from coord_server.storage import Store, repo_key

SCAN_LIMIT = 20_000
"""Claims read per query: bounds one call's work however old its trailers are."""


class FenceCheck:
    """Answers `POST /fences/check`; reads only."""

    def __init__(self, store: Store, clock: Clock, scan_limit: int = SCAN_LIMIT) -> None:
        self.store = store
        self.clock = clock
        self.scan_limit = scan_limit

    async def check(
        self, engineer: str, repo: str | None, entries: Sequence[FenceEntry]
    ) -> FenceCheckResponse:
        """One verdict per entry, in order."""
        judge = Judge(engineer, repo, self.clock())
        trailers = [entry for entry in entries if entry.claim_id is not None]
        bare = [entry for entry in entries if entry.claim_id is None]
        named = await self._named(trailers)
        newer = await self._newer(repo, trailers)
        held = await self._held(repo, bare, judge)
        verdicts: list[FenceVerdict] = [
            judge.trailer(entry, named.get(entry.claim_id or ""), newer)
            if entry.claim_id is not None
            else judge.bare(entry, held)
            for entry in entries
        ]
        return FenceCheckResponse(
            engineer=engineer, repo=repo, verdicts=verdicts,
            all_valid=all(verdict.status in GOOD_STATUSES for verdict in verdicts),
        )  # fmt: skip

    async def _named(self, trailers: Sequence[FenceEntry]) -> dict[str, ClaimRecord]:
        ids = list(dict.fromkeys(entry.claim_id for entry in trailers if entry.claim_id))
        if not ids:
            return {}
        rows = await self.store.claims.by_ids(ids)
        return {row["id"]: ClaimRecord.from_row(row) for row in rows}

    async def _newer(self, repo: str | None, trailers: Sequence[FenceEntry]) -> ClaimSet:
        fences = [entry.fence for entry in trailers if entry.fence is not None]
        if not fences:
            return ClaimSet(())
        rows = await self.store.claims.granted_after(repo_key(repo), min(fences), self.scan_limit)
        return ClaimSet(ClaimRecord.from_row(row) for row in rows)

    async def _held(self, repo: str | None, bare: Sequence[FenceEntry], judge: Judge) -> ClaimSet:
        if not bare:
            return ClaimSet(())
        moments = [entry.at or judge.now for entry in bare]
        rows = await self.store.claims.held_during(
            repo_key(repo), min(moments), max(moments), self.scan_limit
        )
        return ClaimSet(ClaimRecord.from_row(row) for row in rows)
