"""The active claims held in memory, indexed so a request never scans all of them.

The database is the record; this state mirrors its active rows and changes only after a commit
succeeds, so the two never disagree about who holds what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from coord_engine.claims import ActiveClaim
from coord_engine.index import RepoIndexes
from coord_server.service.records import ClaimRecord


class ActiveState:
    """Active claims by id, by repo index, by session; and the newest fence per repo."""

    def __init__(self) -> None:
        self.claims: dict[str, ClaimRecord] = {}
        self.fences: dict[str, int] = {}
        self._index: RepoIndexes[str] = RepoIndexes()
        self._by_session: defaultdict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self.claims)

    def add(self, record: ClaimRecord) -> None:
        """Start tracking an active claim."""
        self.claims[record.id] = record
        self._index.add(record.repo, record.id, record.pattern)
        if record.session_id:
            self._by_session[record.session_id].add(record.id)

    def remove(self, claim_id: str) -> ClaimRecord | None:
        """Stop tracking a claim; returns it, or None when it was not active."""
        record = self.claims.pop(claim_id, None)
        if record is None:
            return None
        self._index.remove(claim_id)
        if record.session_id:
            owned = self._by_session[record.session_id]
            owned.discard(claim_id)
            if not owned:
                del self._by_session[record.session_id]
        return record

    def repattern(self, record: ClaimRecord, pattern: str) -> None:
        """Change the pattern a claim holds (narrowing), keeping the index in step."""
        record.pattern = pattern
        self._index.add(record.repo, record.id, pattern)

    def candidates(self, repo: str | None, patterns: Iterable[str]) -> list[ActiveClaim]:
        """Claims in `repo`'s bucket that could overlap any of `patterns` (a superset)."""
        ids = self._index.union_candidates(repo, patterns)
        return [self.claims[claim_id].active() for claim_id in ids]

    def of_session(self, session_id: str) -> list[ClaimRecord]:
        """Active claims of a session."""
        return [self.claims[claim_id] for claim_id in self._by_session.get(session_id, ())]

    def repos(self) -> set[str | None]:
        """Repo buckets that hold at least one active claim."""
        return {record.repo for record in self.claims.values()}
