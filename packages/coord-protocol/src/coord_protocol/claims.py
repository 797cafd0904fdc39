"""Claims: creating, listing, releasing and extending them (SPEC §4, §10)."""

from typing import Annotated

from pydantic import Field

from coord_protocol._base import (
    Branch,
    Description,
    Engineer,
    RepoId,
    RequestModel,
    SessionId,
    TtlHours,
    UtcDatetime,
    WireModel,
)
from coord_protocol.conflicts import Conflict
from coord_protocol.vocab import ClaimType, ConflictOption, ScopeType, Severity, Urgency

MAX_ITEMS_PER_REQUEST = 1000
"""Upper bound on items in one claim batch: larger batches are refused with 422."""


class ClaimSpec(RequestModel):
    """One item of a claim batch: a pattern, and optionally the symbols inside it."""

    type: ClaimType = ClaimType.FILE
    """`file` (exclusive, narrowable), `module` (exclusive) or `shared_file` (cooperative)."""
    pattern: Annotated[str, Field(examples=["src/app/router.ts", "src/auth/**"])]
    """Repo-relative gitignore-style pattern, e.g. `src/auth/**` or `src/app/router.ts`.

    Length and content are checked by the pattern rules (400 naming the rule), not the schema.
    """
    symbols: Annotated[list[str], Field(max_length=500)] | None = None
    """Symbol paths such as `Router::handleAuth`; present makes the claim symbol-scoped."""
    narrowable: bool | None = None
    """Whether others' symbol claims may auto-narrow this file claim; default true for `file`."""


class CreateClaimsRequest(RequestModel):
    """Body of `POST /claims`."""

    engineer: Engineer | None = None
    """Who claims; defaults to the engineer bound to a per-engineer token."""
    claims: Annotated[list[ClaimSpec], Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)]
    """The items to claim, granted all together or not at all."""
    branch: Branch | None = None
    """Git branch the work happens on, shown to other engineers."""
    description: Description | None = None
    """What the claimant is doing, shown to anyone who is refused because of it."""
    ttl_hours: TtlHours | None = None
    """Lifetime in hours, in (0, 168]; the server default applies when absent."""
    repo: RepoId | None = None
    """Repository id `owner/name`; claims in different repos never interact."""
    session_id: SessionId | None = None
    """Agent session; claims of one session never conflict and idle-expire together."""
    wait_seconds: Annotated[int, Field(ge=0, le=600)] = 0
    """Queue instead of answering 409 at once: long-poll up to this many seconds (1-600)."""
    urgency: Urgency = Urgency.NORMAL
    """Queue priority: `low`, `normal`, `high` or `blocking`."""


class Claim(WireModel):
    """A claim row, as listed by `GET /claims` and returned on a grant."""

    id: str
    """Opaque claim id."""
    engineer: str
    """Who holds it."""
    branch: str | None = None
    """Branch named by the holder."""
    description: str | None = None
    """What the holder said they are doing."""
    claim_type: ClaimType
    """`file`, `module` or `shared_file`."""
    pattern: str
    """Canonical pattern held."""
    severity: Severity = Severity.SOFT
    """`hard` when a hard owners.yaml area overlaps the pattern."""
    scope_type: ScopeType = ScopeType.FILE
    """`symbol` when the claim holds only named symbols."""
    symbols: list[str] | None = None
    """Symbol paths held, or null for a whole-file claim."""
    narrowable: bool = True
    """Whether others' symbol claims may auto-narrow this claim."""
    coexists_with: list[str] = Field(default_factory=list)
    """Claims granted alongside this one (auto-coexist, auto-narrow, coexist decisions)."""
    repo: str | None = None
    """Repository id, or null for the no-repo bucket."""
    session_id: str | None = None
    """Session that holds it, if any."""
    fence: int
    """Strictly increasing per repo: proves this is the newest grant for the scope."""
    created_at: UtcDatetime
    """When it was granted."""
    expires_at: UtcDatetime
    """When it stops blocking anyone unless extended."""
    last_activity: UtcDatetime | None = None
    """Last time the holder's session was heard from."""
    released_at: UtcDatetime | None = None
    """When it was released or expired; null while active."""
    shared: bool = False
    """True when the claim is cooperative (shared_file, or inside a shared_files entry)."""


class CreateClaimsResponse(WireModel):
    """Answer of `POST /claims`: 200 granted, 409 conflict (also after a queue deadline)."""

    claim_ids: list[str] = Field(default_factory=list)
    """Ids of the granted claims (empty on conflict)."""
    conflicts: list[Conflict] = Field(default_factory=list)
    """Every conflicting pair of requested item and held claim, once each."""
    warnings: list[str] = Field(default_factory=list)
    """Non-blocking remarks: zero-match patterns, a claim made shared by owners.yaml, ..."""
    options: list[ConflictOption] = Field(default_factory=list)
    """Next steps on a conflict: `wait`, `narrow_claim`, `escalate`."""
    claims: list[Claim] = Field(default_factory=list)
    """The granted rows, each with its `fence`."""
    notices: list[str] = Field(default_factory=list)
    """Information for the claimant: other holders of a shared scope, auto-narrowed holders."""
    queue_id: str | None = None
    """Set when the request waited in the queue."""
    next_step: str | None = None
    """On a conflict: what to do now, in one sentence an agent can follow."""


class ClaimList(WireModel):
    """Answer of `GET /claims`."""

    claims: list[Claim]
    """Matching claims, newest first."""
    count: int
    """Number of claims listed on this page."""
    total: int = 0
    """Number of claims that match, on every page."""
    next_cursor: str | None = None
    """Pass as `cursor` to list the next page; null on the last one."""


class ReleaseClaimsRequest(RequestModel):
    """Body of `POST /claims/release`."""

    claim_ids: Annotated[list[str], Field(min_length=1, max_length=1000)]
    """Claims to release."""
    engineer: Engineer | None = None
    """When given, only claims held by this engineer are released."""


class ReleaseResponse(WireModel):
    """Answer of every release route."""

    released: int
    """How many active claims were released by this call."""
    claim_ids: list[str] = Field(default_factory=list)
    """Ids of the claims released."""


class ExtendClaimRequest(RequestModel):
    """Body of `POST /claims/{id}/extend`."""

    engineer: Engineer | None = None
    """The holder; defaults to the engineer bound to a per-engineer token."""
    ttl_hours: TtlHours
    """New lifetime from now, in (0, 168]."""


class ExtendClaimResponse(WireModel):
    """Answer of `POST /claims/{id}/extend`."""

    claim: Claim
    """The claim with its new `expires_at`."""
