"""Conflict entries and the conflict-check routes (SPEC §3, §4, §10)."""

from typing import Annotated

from pydantic import Field

from coord_protocol._base import Engineer, RepoId, RequestModel, SessionId, UtcDatetime, WireModel
from coord_protocol.vocab import ScopeType, Severity

MAX_BATCH_PATTERNS = 5000
"""`POST /conflicts/batch` checks at most this many patterns per call."""


class ConflictingClaim(WireModel):
    """The held claim a requested item collides with."""

    id: str
    """Claim id; pass it to `POST /requests` to ask the holder for it."""
    engineer: str
    """Who holds it."""
    pattern: str
    """Pattern the holder holds."""
    severity: Severity = Severity.SOFT
    """`hard` when a hard ownership area overlaps the held pattern."""
    description: str | None = None
    """What the holder said they are doing."""
    expires_at: UtcDatetime
    """When the hold ends unless extended."""
    scope_type: ScopeType = ScopeType.FILE
    """`symbol` when the holder holds only named symbols."""
    symbols: list[str] | None = None
    """The holder's symbols, for narrowing to other ones."""
    session_id: str | None = None
    """The holder's session, if any."""


class SymbolOverlap(WireModel):
    """Where a symbol-scoped request collides with a symbol-scoped claim: one file."""

    file: str
    """A file both claims cover."""
    symbols: list[str]
    """Your symbol paths there that overlap the holder's (equal, or one inside the other)."""


class Conflict(WireModel):
    """One pair of requested item and held claim whose scopes overlap."""

    your_pattern: str
    """Your pattern, canonical."""
    conflicting_claim: ConflictingClaim
    """The claim in the way."""
    overlap: list[str]
    """Tracked files matched by both (up to 50), or one example path when none is tracked."""
    your_symbols: list[str] | None = None
    """Symbols you asked for, when your item was symbol-scoped."""
    symbol_overlap: list[SymbolOverlap] | None = None
    """When both sides are symbol-scoped: per file, your symbols that collide with the holder's
    (drop them, or wait). Absent when either side holds whole files."""


class ConflictCheckResponse(WireModel):
    """Answer of `GET /conflicts` and `POST /conflicts/batch`."""

    has_conflicts: bool
    """True when any pattern collides with another engineer's active claim."""
    conflicts: list[Conflict] = Field(default_factory=list)
    """Each colliding pair once."""
    safe: bool
    """The opposite of `has_conflicts`."""
    safe_to_proceed: bool
    """Same as `safe`, kept for clients that read this name."""
    suggestion: str | None = None
    """What to do next when not safe."""
    warnings: list[str] = Field(default_factory=list)
    """Non-blocking remarks, such as patterns that match no tracked file."""


class ConflictBatchRequest(RequestModel):
    """Body of `POST /conflicts/batch`: the JSON form of `GET /conflicts`."""

    patterns: Annotated[list[str], Field(min_length=1, max_length=MAX_BATCH_PATTERNS)]
    """Patterns (usually changed files) to check."""
    engineer: Engineer | None = None
    """Whose view: this engineer's own claims never conflict."""
    repo: RepoId | None = None
    """Repository id; checks the no-repo bucket when absent."""
    all_repos: bool = False
    """Check against claims of every repo."""
    session_ids: Annotated[list[SessionId], Field(max_length=100)] = Field(default_factory=list)
    """Sessions whose claims count as the caller's own."""
    symbols: Annotated[list[str], Field(max_length=MAX_BATCH_PATTERNS)] = Field(
        default_factory=list
    )
    """Symbol scopes as `path#Symbol`: the check honours symbol claims exactly like POST /claims."""
