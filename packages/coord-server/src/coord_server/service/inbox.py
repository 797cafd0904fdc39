"""The holder's inbox (SPEC §7): what happened around a session's claims that it should know.

Three kinds of items, newest first:
- `release_request`: someone asks for one of the claims (pending requests only);
- `auto_conflict`: someone was refused (409, or parked in the queue) because of one of the
  claims; repeated refusals of one engineer on one claim are one notice with a count;
- `auto_narrow`: someone's symbol claim was carved out of one of the (narrowable) file claims.

Notices are written where the thing happens: auto-narrow notices in the grant's own
transaction, auto-conflict notices in the transaction that counts the refusal. The inbox lists items
about the session's active claims only: a released claim has nothing left to act on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coord_engine.claims import ClaimRequest
from coord_engine.decide import Decision
from coord_protocol.requests import InboxNotice, PendingRequests, ReleaseRequest
from coord_protocol.timestamps import format_utc
from coord_server.service.arbiter import Unit
from coord_server.service.changes import Granted
from coord_server.service.records import ClaimRecord
from coord_server.service.requests import ReleaseRequests
from coord_server.storage import Row, Store, repo_key

AUTO_CONFLICT = "auto_conflict"
AUTO_NARROW = "auto_narrow"


class Inbox:
    """Writes auto-conflict and auto-narrow notices, and reads a session's inbox."""

    def __init__(self, store: Store, requests: ReleaseRequests) -> None:
        self.store = store
        self.requests = requests

    async def write_notices(self, unit: Unit) -> None:
        """A step before the commit: the notices of the unit's refusals and grants."""
        for refused in unit.changes.refused:
            await self._refused(unit, refused.request, refused.decision)
        for granted in unit.changes.granted:
            await self._narrowed(unit, granted)

    async def _refused(self, unit: Unit, request: ClaimRequest, decision: Decision) -> None:
        """Tell each holder in the way (once per claim) who was refused."""
        first_pattern: dict[str, str] = {}
        for conflict in decision.conflicts:
            first_pattern.setdefault(conflict.holder.id, conflict.item.pattern)
        for claim_id, pattern in first_pattern.items():
            counted = await self.store.inbox.bump(
                unit.tx, claim_id, AUTO_CONFLICT, request.engineer, at=unit.now, pattern=pattern
            )
            if not counted:
                row = _notice_row(request, claim_id, AUTO_CONFLICT, pattern, unit.now)
                await self.store.inbox.insert(unit.tx, [row])

    async def _narrowed(self, unit: Unit, granted: Granted) -> None:
        """One notice per file claim narrowed around a new symbol claim."""
        rows = [
            _notice_row(
                granted.request,
                narrow.holder.id,
                AUTO_NARROW,
                record.pattern,
                record.created_at,
                other_claim_id=record.id,
                symbols=list(narrow.symbols),
            )
            for grant, record in zip(granted.decision.grants, granted.records, strict=True)
            for narrow in grant.narrowed
        ]
        await self.store.inbox.insert(unit.tx, rows)

    async def pending(
        self, session_id: str, since: datetime | None, repo: str | None = None
    ) -> PendingRequests:
        """The inbox of `session_id` (about its claims in `repo` only, when given): pending
        release requests and notices, newest first."""
        rows = await self.store.claims.active_of_session(session_id)
        if repo is not None:
            rows = [row for row in rows if row["repo"] == repo]
        records = {row["id"]: ClaimRecord.from_row(row) for row in rows}
        found = await self.store.requests.pending_for(list(records)) if records else []
        request_rows = await self.requests.mark_notified(found, "inbox")
        requests = [await self.requests.to_wire(row) for row in request_rows]
        notices = [
            InboxNotice(
                kind="release_request",
                claim_id=request.claim_id,
                message=_request_message(request),
                at=request.created_at,
                request=request,
                other_engineer=request.requester,
                pattern=request.requested_scope or request.holder_pattern,
            )
            for request in requests
            if since is None or request.created_at > since
        ]
        stored = await self.store.inbox.about(list(records), since) if records else []
        notices += [_notice(row, records[row["claim_id"]]) for row in stored]
        notices.sort(key=lambda notice: notice.at, reverse=True)
        return PendingRequests(
            session_id=session_id, requests=requests, notices=notices, count=len(notices)
        )


def _notice_row(
    request: ClaimRequest, claim_id: str, kind: str, pattern: str, at: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "repo": repo_key(request.repo),
        "claim_id": claim_id,
        "kind": kind,
        "other_engineer": request.engineer,
        "pattern": pattern,
        "count": 1,
        "first_at": at,
        "at": at,
        **extra,
    }


def _notice(row: Row, record: ClaimRecord) -> InboxNotice:
    symbols = row["symbols"]
    return InboxNotice(
        kind=row["kind"],
        claim_id=row["claim_id"],
        message=_message(row, record),
        at=row["at"],
        other_engineer=row["other_engineer"],
        other_claim_id=row["other_claim_id"],
        pattern=row["pattern"],
        symbols=list(symbols) if symbols is not None else None,
        count=row["count"],
    )


def _message(row: Row, record: ClaimRecord) -> str:
    other, pattern = row["other_engineer"], row["pattern"]
    if row["kind"] == AUTO_NARROW:
        return (
            f"{other} claimed {', '.join(row['symbols'] or ())} in {pattern}; your claim "
            f"{record.id} on {record.pattern} no longer covers those symbols. Nothing to do "
            "unless you need them: then ask with POST /requests."
        )
    times = "once" if row["count"] == 1 else f"{row['count']} times"
    return (
        f"{other} was refused {pattern} {times} (last {format_utc(row['at'])}) because of your "
        f"claim {record.id} on {record.pattern}. Release it as soon as you are done, or narrow "
        "it to what you still need."
    )


def _request_message(request: ReleaseRequest) -> str:
    expires_at = request.claim_expires_at
    deadline = f" before {format_utc(expires_at)}, when your claim expires" if expires_at else ""
    wanted = f" ({request.requested_scope} of it)" if request.requested_scope else ""
    return (
        f"{request.requester} asks for your claim on {request.holder_pattern}{wanted}: "
        f"{request.reason!r}. Answer{deadline} with POST /requests/{request.id}/respond: "
        "approved, denied, narrowed or coexist."
    )
