"""The fence check: was a changed path edited under a valid claim? (SPEC §16).

A commit carries `Coord-Claim: <claim id> fence=<n> repo=<repo>` trailers; a push check or a CI job
sends each changed path with the trailer that should cover it, or with no trailer at all to ask
which of the caller's claims covered it at a given time. The check only reads.
"""

from typing import Annotated

from pydantic import Field, model_validator

from coord_protocol._base import Engineer, RepoId, RequestModel, UtcDatetime, WireModel
from coord_protocol.vocab import FenceStatus

MAX_FENCE_ENTRIES = 1000
"""`POST /fences/check` answers at most this many entries per call: send larger sets in chunks."""

GOOD_STATUSES = frozenset({FenceStatus.VALID, FenceStatus.COVERED})
"""Verdicts that mean the path was edited under a valid claim."""


class FenceEntry(RequestModel):
    """One changed path, with the trailer that claims to cover it (or none)."""

    path: Annotated[str, Field(min_length=1, max_length=4096)]
    """Repo-relative path of the changed file, e.g. `src/auth/login.ts`."""
    claim_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """Claim id of the trailer; absent asks which of the caller's claims covered the path."""
    fence: Annotated[int, Field(ge=0)] | None = None
    """Fence of the trailer; given exactly when `claim_id` is."""
    at: UtcDatetime | None = None
    """Without a claim id: the moment asked about (e.g. the commit time); default now."""

    @model_validator(mode="after")
    def _trailer_is_whole(self) -> "FenceEntry":
        if (self.claim_id is None) != (self.fence is None):
            raise ValueError(
                "claim_id and fence go together: send both (a trailer) or neither (a bare path)"
            )
        return self


class FenceCheckRequest(RequestModel):
    """Body of `POST /fences/check`."""

    entries: Annotated[list[FenceEntry], Field(min_length=1, max_length=MAX_FENCE_ENTRIES)]
    """The paths to check, at most 1000 per call."""
    repo: RepoId | None = None
    """Repository id of the commits; the no-repo bucket when absent."""
    engineer: Engineer | None = None
    """Whose edits these are; defaults to the engineer of a per-engineer token."""


class FenceClaim(WireModel):
    """A claim as the fence check shows it, active or not."""

    id: str
    """Claim id."""
    engineer: str
    """Who it was granted to."""
    pattern: str
    """Pattern it holds (or held)."""
    symbols: list[str] | None = None
    """Symbols held, when the claim is symbol-scoped."""
    fence: int
    """Its fence: grants of one repo are numbered in order."""
    repo: str | None = None
    """Its repo, or null for the no-repo bucket."""
    session_id: str | None = None
    """Session that holds it, if any."""
    shared: bool = False
    """Cooperative (`shared_file`): it never fences anyone out."""
    created_at: UtcDatetime
    """When it was granted."""
    expires_at: UtcDatetime
    """When it expires (or expired)."""
    released_at: UtcDatetime | None = None
    """When it was released or expired; null while active."""


class FenceVerdict(WireModel):
    """The answer for one entry."""

    path: str
    """The path, as sent."""
    claim_id: str | None = None
    """The trailer's claim id, as sent."""
    fence: int | None = None
    """The trailer's fence, as sent."""
    status: FenceStatus
    """`valid`/`covered` when the edit was made under a valid claim; every other value is a
    finding (see `detail`)."""
    detail: str
    """One line a person reads: what was found, and what to do about it."""
    claim: FenceClaim | None = None
    """The named claim, when it exists."""
    yours: bool | None = None
    """Whether the named claim was granted to the caller (or an engineer beneath it)."""
    covers: bool | None = None
    """Whether the named claim's pattern covers the path."""
    superseded_by: list[FenceClaim] = Field(default_factory=list)
    """Newer grants (higher fence) to other engineers covering the path, oldest first."""
    covering: list[FenceClaim] = Field(default_factory=list)
    """Without a claim id: the caller's claims that covered the path at `at`."""
    held_by: list[FenceClaim] = Field(default_factory=list)
    """Without a claim id: other engineers' claims that covered the path at `at`."""
    at: UtcDatetime | None = None
    """Without a claim id: the moment the answer is about."""


class FenceCheckResponse(WireModel):
    """Answer of `POST /fences/check`: one verdict per entry, in the order sent."""

    engineer: str
    """Whose edits were checked."""
    repo: str | None = None
    """The repo checked."""
    verdicts: list[FenceVerdict]
    """One per entry, in order."""
    all_valid: bool
    """True when every verdict is `valid` or `covered`."""
