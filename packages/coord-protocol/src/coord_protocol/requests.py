"""Release requests, the holder's inbox and the audit timeline (SPEC §7)."""

from typing import Annotated, Literal

from pydantic import Field

from coord_protocol._base import (
    Description,
    Engineer,
    RequestModel,
    SessionId,
    UtcDatetime,
    WireModel,
)
from coord_protocol.vocab import RequestDecision, Urgency

RequestState = Literal["pending", "decided", "expired", "resolved"]
"""`pending` until answered, then `decided`; `expired`/`resolved` when the claim went away."""

RequestEventType = Literal[
    "filed", "notified", "responded", "responded-late", "expired", "resolved"
]
"""Steps of a release request's audit timeline."""

NoticeKind = Literal["release_request", "auto_conflict", "auto_narrow"]
"""What an inbox entry tells the holder."""


class CreateReleaseRequest(RequestModel):
    """Body of `POST /requests`: ask a holder to give up or narrow a claim."""

    claim_id: str
    """The claim you need."""
    requester: Engineer | None = None
    """Who asks; defaults to the engineer bound to a per-engineer token."""
    reason: Annotated[Description, Field(min_length=1)]
    """Why you need it, shown to the holder."""
    urgency: Urgency = Urgency.NORMAL
    """How urgently."""
    session_id: SessionId | None = None
    """Your session, to be served first when the holder approves."""
    requested_scope: Annotated[str, Field(max_length=4096)] | None = None
    """The part you need, if less than the whole claim."""
    wait_seconds: Annotated[int, Field(ge=0, le=600)] = 0
    """Long-poll for the holder's decision up to this many seconds."""


class ReleaseRequest(WireModel):
    """A release request and its current state."""

    kind: Literal["release"] = "release"
    """Always `release`: tells release requests apart from queue rows (`queued`)."""
    id: str
    """Request id."""
    repo: str | None = None
    """Repository bucket of the claim."""
    claim_id: str
    """The claim asked for."""
    requester: str
    """Who asked."""
    holder: str
    """Who holds the claim."""
    holder_pattern: str
    """What the claim held when the request was filed."""
    holder_session_id: str | None = None
    """The holder's session, whose inbox lists the request."""
    reason: str
    """Why it was asked."""
    urgency: Urgency
    """How urgently."""
    requested_scope: str | None = None
    """The part asked for, if less than the whole claim."""
    session_id: str | None = None
    """The requester's session."""
    state: RequestState
    """Where the request stands."""
    decision: RequestDecision | None = None
    """The holder's answer, once given."""
    note: str | None = None
    """The holder's note."""
    narrowed_pattern: str | None = None
    """For `narrowed`: what the holder keeps now."""
    created_at: UtcDatetime
    """When it was filed."""
    notified_at: UtcDatetime | None = None
    """When the holder's inbox (or a listing by holder) first showed it."""
    claim_expires_at: UtcDatetime | None = None
    """While pending: when the holder's claim runs out (shortened on filing); the request
    expires with it unless answered first."""
    decided_at: UtcDatetime | None = None
    """When it was answered or resolved."""
    granted_claim_ids: list[str] = Field(default_factory=list)
    """Claims granted to the requester as a result."""


class ReleaseRequestList(WireModel):
    """Answer of `GET /requests`."""

    requests: list[ReleaseRequest]
    """Matching requests, newest first."""
    count: int
    """Number listed."""
    total: int = 0
    """Number that match, on every page."""
    next_cursor: str | None = None
    """Pass as `cursor` to list the next page; null on the last one."""


class RespondRequest(RequestModel):
    """Body of `POST /requests/{id}/respond`: the holder's answer."""

    decision: RequestDecision
    """`approved`, `denied`, `narrowed` or `coexist`."""
    engineer: Engineer | None = None
    """The holder answering."""
    note: Description | None = None
    """Shown to the requester."""
    narrowed_pattern: Annotated[str, Field(max_length=4096)] | None = None
    """For `narrowed`: the holder's new, narrower pattern (must be a subset)."""
    coexist_pattern: Annotated[str, Field(max_length=4096)] | None = None
    """For `coexist`: the pattern granted to the requester alongside the holder."""
    coexist_symbols: list[str] | None = None
    """For `coexist`: the symbols granted to the requester alongside the holder."""


class RequestEvent(WireModel):
    """One step of a release request's timeline."""

    request_id: str
    """The request."""
    event_type: RequestEventType
    """What happened."""
    at: UtcDatetime
    """When."""
    detail: dict[str, object] = Field(default_factory=dict)
    """Facts of the step."""


class RequestEventList(WireModel):
    """Answer of `GET /requests/{id}/events`."""

    events: list[RequestEvent]
    """Oldest first."""
    count: int
    """Number listed."""


class InboxNotice(WireModel):
    """One item of a holder's inbox."""

    kind: NoticeKind
    """What it is about."""
    claim_id: str
    """The holder's claim concerned."""
    message: str
    """What happened and what the holder may do."""
    at: UtcDatetime
    """When."""
    request: ReleaseRequest | None = None
    """The release request, for `release_request` notices."""
    other_engineer: str | None = None
    """The engineer on the other side."""
    other_claim_id: str | None = None
    """The other side's claim, when they hold one (auto-narrow)."""
    pattern: str | None = None
    """The pattern the other side asked for."""
    symbols: list[str] | None = None
    """Symbols concerned (auto-narrow)."""
    count: int = 1
    """How many times it happened (repeated refusals of one engineer are one notice)."""


class PendingRequests(WireModel):
    """Answer of `GET /sessions/{id}/pending_requests`."""

    session_id: str
    """The holder's session."""
    requests: list[ReleaseRequest]
    """Release requests awaiting an answer."""
    notices: list[InboxNotice]
    """Every inbox item, newest first."""
    count: int
    """Number of notices."""
