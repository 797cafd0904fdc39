"""coord-protocol: the wire models every coord package shares (pydantic only).

Names are resolved on first use, so `import coord_protocol.vocab` (all the pure engine needs) does
not load pydantic, which brings socket and email in with it. The optional `client` extra adds
`coord_protocol.client`, a typed HTTP client over httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coord_protocol._base import UtcDatetime
    from coord_protocol.checkouts import (
        CheckoutList,
        CheckoutSource,
        KnownCheckout,
        RegisterCheckoutRequest,
    )
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
    from coord_protocol.outbox import (
        OutboxCounts,
        OutboxDelivery,
        OutboxEventStats,
        OutboxPurgeRequest,
        OutboxPurgeResponse,
        OutboxRetryRequest,
        OutboxRetryResponse,
        OutboxState,
        OutboxStats,
        OutboxTail,
    )
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
    from coord_protocol.timestamps import format_utc
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

_EXPORTS: dict[str, str] = {
    "AutoResolutionDay": "coord_protocol.ownership",
    "AutoResolutionSeries": "coord_protocol.ownership",
    "CancelQueueResponse": "coord_protocol.queue",
    "Claim": "coord_protocol.claims",
    "ClaimList": "coord_protocol.claims",
    "CheckoutList": "coord_protocol.checkouts",
    "CheckoutSource": "coord_protocol.checkouts",
    "ClaimSpec": "coord_protocol.claims",
    "ClaimType": "coord_protocol.vocab",
    "Conflict": "coord_protocol.conflicts",
    "ConflictBatchRequest": "coord_protocol.conflicts",
    "ConflictCheckResponse": "coord_protocol.conflicts",
    "ConflictOption": "coord_protocol.vocab",
    "ConflictingClaim": "coord_protocol.conflicts",
    "CoordError": "coord_protocol.errors",
    "CreateClaimsRequest": "coord_protocol.claims",
    "CreateClaimsResponse": "coord_protocol.claims",
    "CreateReleaseRequest": "coord_protocol.requests",
    "ErrorBody": "coord_protocol.service",
    "ErrorCode": "coord_protocol.errors",
    "EventType": "coord_protocol.vocab",
    "ExtendClaimRequest": "coord_protocol.claims",
    "ExtendClaimResponse": "coord_protocol.claims",
    "HTTP_STATUS": "coord_protocol.errors",
    "Hotspot": "coord_protocol.ownership",
    "HotspotList": "coord_protocol.ownership",
    "InboxNotice": "coord_protocol.requests",
    "KnownCheckout": "coord_protocol.checkouts",
    "Meta": "coord_protocol.service",
    "OutboxCounts": "coord_protocol.outbox",
    "OutboxDelivery": "coord_protocol.outbox",
    "OutboxEventStats": "coord_protocol.outbox",
    "OutboxPurgeRequest": "coord_protocol.outbox",
    "OutboxPurgeResponse": "coord_protocol.outbox",
    "OutboxRetryRequest": "coord_protocol.outbox",
    "OutboxRetryResponse": "coord_protocol.outbox",
    "OutboxState": "coord_protocol.outbox",
    "OutboxStats": "coord_protocol.outbox",
    "OutboxTail": "coord_protocol.outbox",
    "PendingRequests": "coord_protocol.requests",
    "PromoteAction": "coord_protocol.vocab",
    "PromoteRequest": "coord_protocol.ownership",
    "PromoteResponse": "coord_protocol.ownership",
    "QueueEntry": "coord_protocol.queue",
    "QueueList": "coord_protocol.queue",
    "QueueState": "coord_protocol.vocab",
    "Readiness": "coord_protocol.service",
    "RegisterCheckoutRequest": "coord_protocol.checkouts",
    "ReleaseClaimsRequest": "coord_protocol.claims",
    "ReleaseRequest": "coord_protocol.requests",
    "ReleaseRequestList": "coord_protocol.requests",
    "ReleaseResponse": "coord_protocol.claims",
    "RepoActivity": "coord_protocol.service",
    "RepoList": "coord_protocol.service",
    "RequestDecision": "coord_protocol.vocab",
    "RequestEvent": "coord_protocol.requests",
    "RequestEventList": "coord_protocol.requests",
    "RespondRequest": "coord_protocol.requests",
    "ScopeType": "coord_protocol.vocab",
    "Severity": "coord_protocol.vocab",
    "SuggestedAction": "coord_protocol.vocab",
    "Urgency": "coord_protocol.vocab",
    "UtcDatetime": "coord_protocol._base",
    "ValidationErrorBody": "coord_protocol.service",
    "ValidationIssue": "coord_protocol.service",
    "WebhookPayload": "coord_protocol.service",
    "WhoAmI": "coord_protocol.service",
    "format_utc": "coord_protocol.timestamps",
    "status_for": "coord_protocol.errors",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("coord-protocol")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'coord_protocol' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "HTTP_STATUS",
    "AutoResolutionDay",
    "AutoResolutionSeries",
    "CancelQueueResponse",
    "CheckoutList",
    "CheckoutSource",
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
    "KnownCheckout",
    "Meta",
    "OutboxCounts",
    "OutboxDelivery",
    "OutboxEventStats",
    "OutboxPurgeRequest",
    "OutboxPurgeResponse",
    "OutboxRetryRequest",
    "OutboxRetryResponse",
    "OutboxState",
    "OutboxStats",
    "OutboxTail",
    "PendingRequests",
    "PromoteAction",
    "PromoteRequest",
    "PromoteResponse",
    "QueueEntry",
    "QueueList",
    "QueueState",
    "Readiness",
    "RegisterCheckoutRequest",
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
