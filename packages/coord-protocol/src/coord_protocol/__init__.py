"""coord-protocol: the wire models every coord package shares (pydantic only).

The optional `client` extra adds `coord_protocol.client`, a typed HTTP client over httpx.
"""

from importlib.metadata import PackageNotFoundError, version

from coord_protocol._base import UtcDatetime, format_utc
from coord_protocol.claims import (
    Claim,
    ClaimList,
    ClaimSpec,
    CreateClaimsRequest,
    CreateClaimsResponse,
    ExtendClaimRequest,
    ExtendClaimResponse,
    ReleaseClaimsRequest,
    ReleaseResponse,
)
from coord_protocol.conflicts import (
    Conflict,
    ConflictBatchRequest,
    ConflictCheckResponse,
    ConflictingClaim,
)
from coord_protocol.errors import HTTP_STATUS, CoordError, ErrorCode, status_for
from coord_protocol.ownership import (
    AutoResolutionDay,
    AutoResolutionSeries,
    Hotspot,
    HotspotList,
    PromoteRequest,
    PromoteResponse,
)
from coord_protocol.queue import CancelQueueResponse, QueueEntry, QueueList
from coord_protocol.requests import (
    CreateReleaseRequest,
    InboxNotice,
    PendingRequests,
    ReleaseRequest,
    ReleaseRequestList,
    RequestEvent,
    RequestEventList,
    RespondRequest,
)
from coord_protocol.service import (
    ErrorBody,
    Meta,
    Readiness,
    RepoActivity,
    RepoList,
    ValidationErrorBody,
    ValidationIssue,
    WebhookPayload,
    WhoAmI,
)
from coord_protocol.vocab import (
    ClaimType,
    ConflictOption,
    EventType,
    PromoteAction,
    QueueState,
    RequestDecision,
    ScopeType,
    Severity,
    SuggestedAction,
    Urgency,
)

try:
    __version__ = version("coord-protocol")
except PackageNotFoundError:  # pragma: no cover - only when run from a bare source tree
    __version__ = "0.0.0"

__all__ = [
    "HTTP_STATUS",
    "AutoResolutionDay",
    "AutoResolutionSeries",
    "CancelQueueResponse",
    "Claim",
    "ClaimList",
    "ClaimSpec",
    "ClaimType",
    "Conflict",
    "ConflictBatchRequest",
    "ConflictCheckResponse",
    "ConflictOption",
    "ConflictingClaim",
    "CoordError",
    "CreateClaimsRequest",
    "CreateClaimsResponse",
    "CreateReleaseRequest",
    "ErrorBody",
    "ErrorCode",
    "EventType",
    "ExtendClaimRequest",
    "ExtendClaimResponse",
    "Hotspot",
    "HotspotList",
    "InboxNotice",
    "Meta",
    "PendingRequests",
    "PromoteAction",
    "PromoteRequest",
    "PromoteResponse",
    "QueueEntry",
    "QueueList",
    "QueueState",
    "Readiness",
    "ReleaseClaimsRequest",
    "ReleaseRequest",
    "ReleaseRequestList",
    "ReleaseResponse",
    "RepoActivity",
    "RepoList",
    "RequestDecision",
    "RequestEvent",
    "RequestEventList",
    "RespondRequest",
    "ScopeType",
    "Severity",
    "SuggestedAction",
    "Urgency",
    "UtcDatetime",
    "ValidationErrorBody",
    "ValidationIssue",
    "WebhookPayload",
    "WhoAmI",
    "__version__",
    "format_utc",
    "status_for",
]
