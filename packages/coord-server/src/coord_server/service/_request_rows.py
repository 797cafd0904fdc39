"""Release requests as rows: what is stored, what the timeline and events say, the wire form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from coord_protocol.requests import CreateReleaseRequest, ReleaseRequest
from coord_protocol.timestamps import format_utc
from coord_protocol.vocab import RequestDecision, Urgency
from coord_server.service.records import ClaimRecord
from coord_server.storage import Row, repo_key

PENDING, DECIDED, EXPIRED, RESOLVED = "pending", "decided", "expired", "resolved"


def wire(row: Row, claim_expires_at: datetime | None) -> ReleaseRequest:
    """A stored request as the API shows it; `claim_expires_at` only while it is pending."""
    return ReleaseRequest(
        id=row["id"],
        repo=row["repo"] or None,
        claim_id=row["claim_id"],
        requester=row["requester"],
        holder=row["holder"],
        holder_pattern=row["holder_pattern"],
        holder_session_id=row["holder_session_id"],
        reason=row["reason"],
        urgency=Urgency(row["urgency"]),
        requested_scope=row["requested_scope"],
        session_id=row["session_id"],
        state=row["state"],
        decision=RequestDecision(row["decision"]) if row["decision"] else None,
        note=row["note"],
        narrowed_pattern=row["narrowed_pattern"],
        created_at=row["created_at"],
        notified_at=row["notified_at"],
        claim_expires_at=claim_expires_at,
        decided_at=row["decided_at"],
        granted_claim_ids=list(row["granted_claim_ids"] or []),
    )


def filed_row(
    request_id: str,
    body: CreateReleaseRequest,
    requester: str,
    record: ClaimRecord,
    scope: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The row of a new request against `record` (its `original_expires_at` is added later)."""
    return {
        "id": request_id,
        "repo": repo_key(record.repo),
        "claim_id": record.id,
        "requester": requester,
        "holder": record.engineer,
        "holder_session_id": record.session_id,
        "holder_pattern": record.pattern,
        "reason": body.reason,
        "urgency": str(body.urgency),
        "requested_scope": scope,
        "session_id": body.session_id,
        "state": PENDING,
        "created_at": now,
        "granted_claim_ids": [],
    }


def filed_detail(row: Mapping[str, Any], clamped: datetime) -> dict[str, Any]:
    """Facts of a filing, for the `request_filed` event and the `filed` step."""
    return {
        "request_id": row["id"],
        "claim_id": row["claim_id"],
        "requester": row["requester"],
        "holder": row["holder"],
        "holder_session_id": row["holder_session_id"],
        "holder_pattern": row["holder_pattern"],
        "reason": row["reason"],
        "urgency": row["urgency"],
        "requested_scope": row["requested_scope"],
        "claim_expires_at": format_utc(clamped),
    }


def decided_detail(
    row: Row, values: Mapping[str, Any], blocked_by: Iterable[str]
) -> dict[str, Any]:
    """Facts of an answer, for the `request_decided` event and the `responded` step."""
    detail = {
        "request_id": row["id"],
        "claim_id": row["claim_id"],
        "requester": row["requester"],
        "holder": row["holder"],
        "decision": values["decision"],
        "note": values["note"],
        "granted_claim_ids": values["granted_claim_ids"],
    }
    if values["narrowed_pattern"] is not None:
        detail["narrowed_pattern"] = values["narrowed_pattern"]
    blocked = list(blocked_by)
    if blocked:
        detail["grant_blocked_by"] = blocked  # a third party holds what the requester needed
    return detail


def step(
    request_id: str, event_type: str, at: datetime, detail: Mapping[str, Any]
) -> dict[str, Any]:
    """A row of the audit timeline."""
    return {"request_id": request_id, "event_type": event_type, "at": at, "detail": detail}
