"""One repo bucket as a replica holds it in memory: a cache the database proves current.

A view mirrors the repo's active claims (indexed, so a request never scans all of them), its
waiting queue entries and its pending release requests, with the repo's version, newest fence and
queue grant count. Every change of the repo bumps its version in `repo_state`; whoever holds the
repo's lock compares that version with the view's and, when they differ, reads the rows changed
since (each stamped with the version that changed it) to patch the view. A view whose change did
not commit is marked unknown and read afresh the next time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from coord_engine.claims import ActiveClaim
from coord_engine.index import ClaimIndex
from coord_engine.queue import QueueEntry
from coord_server.service.records import ClaimRecord, GrantContext
from coord_server.storage import RepoState

UNKNOWN = -1
"""The version of a view that must be read from the database before it is used."""


@dataclass(slots=True)
class Waiter:
    """A parked claim request as every replica sees it (the caller waits on one replica)."""

    entry: QueueEntry
    context: GrantContext
    expires_at: datetime
    replica: str

    @property
    def queue_id(self) -> str:
        """The entry's id."""
        return self.entry.queue_id

    @property
    def engineer(self) -> str:
        """Who waits."""
        return self.entry.request.engineer


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """A release request waiting for its holder's answer: enough to notice its claim go."""

    request_id: str
    claim_id: str


@dataclass(slots=True)
class RepoView:
    """The cached state of one repo bucket."""

    key: str
    """The stored repo key (empty for the no-repo bucket)."""
    version: int = UNKNOWN
    last_fence: int = 0
    grants_served: int = 0
    stored: bool = False
    """True once the repo has a `repo_state` row."""
    claims: dict[str, ClaimRecord] = field(default_factory=dict)
    waiters: dict[str, Waiter] = field(default_factory=dict)
    pending: dict[str, PendingRequest] = field(default_factory=dict)
    _index: ClaimIndex[str] = field(default_factory=ClaimIndex)
    _by_session: dict[str, set[str]] = field(default_factory=dict)

    @property
    def repo(self) -> str | None:
        """The repo id (None for the no-repo bucket)."""
        return self.key or None

    def adopt(self, state: RepoState) -> None:
        """Take the stored version, fence and grant count."""
        self.version, self.last_fence = state.version, state.last_fence
        self.grants_served, self.stored = state.grants_served, state.stored

    def saved_state(self) -> RepoState:
        """The state to store for this view's next version."""
        return RepoState(self.version + 1, self.last_fence, self.grants_served, self.stored)

    def clear(self) -> None:
        """Forget everything (before reading the repo afresh)."""
        self.claims.clear()
        self.waiters.clear()
        self.pending.clear()
        self._index = ClaimIndex()
        self._by_session.clear()

    # -- claims ---------------------------------------------------------------------------

    def add(self, record: ClaimRecord) -> None:
        """Track an active claim (replacing an older copy of it)."""
        if record.id in self.claims:
            self.remove(record.id)
        self.claims[record.id] = record
        self._index.add(record.id, record.pattern)
        if record.session_id:
            self._by_session.setdefault(record.session_id, set()).add(record.id)

    def remove(self, claim_id: str) -> ClaimRecord | None:
        """Stop tracking a claim; returns it, or None when it was not active here."""
        record = self.claims.pop(claim_id, None)
        if record is None:
            return None
        self._index.remove(claim_id)
        if record.session_id:
            owned = self._by_session.get(record.session_id, set())
            owned.discard(claim_id)
            if not owned:
                self._by_session.pop(record.session_id, None)
        return record

    def repattern(self, record: ClaimRecord, pattern: str) -> None:
        """Change the pattern a claim holds (narrowing), keeping the index in step."""
        record.pattern = pattern
        self._index.add(record.id, pattern)

    def candidates(self, patterns: Iterable[str]) -> list[ActiveClaim]:
        """Active claims that could overlap any of `patterns` (a superset of those that do)."""
        ids = self._index.union_candidates(patterns)
        return [self.claims[claim_id].active() for claim_id in ids]

    def of_session(self, session_id: str) -> list[ClaimRecord]:
        """Active claims of one session."""
        return [self.claims[claim_id] for claim_id in self._by_session.get(session_id, ())]

    def records(self) -> Iterator[ClaimRecord]:
        """Every active claim."""
        return iter(self.claims.values())
