"""What a holder's answer does to claims: grants to the requester, narrowing, coexist links.

Each function changes claims the way `ClaimService` does itself: database first, in one
transaction, then memory. They are synchronous, so no other request decides in between.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.decide import Decision, decide
from coord_engine.overlap import counterexample, covers
from coord_engine.patterns import normalize_pattern
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.service.claims import ClaimService, GrantContext
from coord_server.service.convert import engine_errors, wire_conflicts
from coord_server.service.records import ClaimRecord
from coord_server.storage.store import Row, repo_key


def grant_requester(
    claims: ClaimService,
    request: Row,
    holder: ClaimRecord,
    item: ClaimItem,
    now: datetime,
    beside_holder: bool = False,
) -> tuple[list[str], list[str]]:
    """Grant `item` to the release request's requester unless a third party holds it.

    Returns (granted claim ids, blocking claim ids). `beside_holder` leaves the holder's claim
    out of the decision (coexist); everyone else is checked exactly as for POST /claims.
    """
    decision = _requester_decision(claims, request, holder, item, now, beside_holder)
    if not decision.granted:
        return [], list(decision.blocking_claim_ids)
    context = GrantContext(description=f"release request {request['id']}: {request['reason']}")
    records = claims.grant(_requester_request(request, holder, item), decision, context, now)
    return [record.id for record in records], []


def refuse_coexist(
    claims: ClaimService, request: Row, holder: ClaimRecord, item: ClaimItem, now: datetime
) -> NoReturn:
    """The 409 for a coexist answer that would overlap a third party's claim."""
    decision = _requester_decision(claims, request, holder, item, now, beside_holder=True)
    conflicts = wire_conflicts(decision.conflicts, claims.state.claims, _no_files)
    holders = ", ".join(
        f"{conflict.conflicting_claim.engineer} ({conflict.conflicting_claim.id})"
        for conflict in conflicts
    )
    raise CoordError(
        ErrorCode.CONFLICT,
        f"coexist would give {request['requester']} {item.pattern!r}, which {holders} also "
        "hold; the request stays pending: answer approved, denied or narrowed, or coexist on a "
        "smaller pattern or other symbols.",
        blocking_claim_ids=list(decision.blocking_claim_ids),
        conflicts=[conflict.model_dump(mode="json") for conflict in conflicts],
    )


def link(claims: ClaimService, holder: ClaimRecord, granted: list[str]) -> None:
    """Cross-reference the holder's claim and the grants made beside it (`coexists_with`)."""
    partners = [claims.state.claims[claim_id] for claim_id in granted]
    with claims.store.transaction() as tx:
        tx.update_claim(holder.id, coexists_with=[*holder.coexists_with, *granted])
        for partner in partners:
            tx.update_claim(partner.id, coexists_with=[*partner.coexists_with, holder.id])
    holder.coexists_with.extend(granted)
    for partner in partners:
        partner.coexists_with.append(holder.id)


def narrowed_pattern(record: ClaimRecord, raw: str | None) -> str:
    """The canonical narrowed pattern, refused (400) unless it is exactly inside the claim."""
    if not raw:
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"decision 'narrowed' needs narrowed_pattern: the part of {record.pattern!r} you keep.",
        )
    with engine_errors():
        narrowed = normalize_pattern(raw)
    if narrowed == record.pattern:
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"narrowed_pattern {narrowed!r} is the pattern you hold already; give a smaller one, "
            "or answer denied.",
        )
    if not covers(record.pattern, narrowed):
        outside = counterexample(record.pattern, narrowed)
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"narrowed_pattern {narrowed!r} is not inside {record.pattern!r} (it matches "
            f"{outside!r}, which your claim does not); narrowing can only give scope up.",
            pattern=narrowed,
            rule="not_a_subset",
        )
    return narrowed


def narrow(claims: ClaimService, record: ClaimRecord, narrowed: str, now: datetime) -> None:
    """Give the holder's claim the narrowed pattern, a new fence and its new index entry.

    The narrowed claim is decided again against everyone but its coexisting partners first: a
    subset cannot overlap anyone new, but the check is what guarantees it, and it yields the
    severity and shared status of the new pattern.
    """
    grant = _recheck(claims, record, narrowed, now).grants[0]
    shared = record.shared or grant.shared
    key = repo_key(record.repo)
    fence = claims.state.fences.get(key, 0) + 1
    with claims.store.transaction() as tx:
        tx.update_claim(record.id, pattern=narrowed, fence=fence, shared=shared,
                        severity=str(grant.severity))  # fmt: skip
        tx.set_fence(key, fence, existed=key in claims.state.fences)
    claims.state.fences[key] = fence
    claims.state.repattern(record, narrowed)
    record.fence, record.shared, record.severity = fence, shared, grant.severity


def _recheck(claims: ClaimService, record: ClaimRecord, narrowed: str, now: datetime) -> Decision:
    partners = set(record.coexists_with)
    partners |= {
        claim.id for claim in claims.state.claims.values() if record.id in claim.coexists_with
    }
    item = ClaimItem(record.claim_type, narrowed, record.symbols, record.narrowable)
    request = ClaimRequest(record.engineer, record.session_id, record.repo, (item,))
    candidates = claims.state.candidates(record.repo, [narrowed])
    with engine_errors():
        decision = decide(
            request, [c for c in candidates if c.id not in partners], claims.policy, now
        )
    if decision.granted:
        return decision
    conflicts = wire_conflicts(decision.conflicts, claims.state.claims, _no_files)
    raise CoordError(
        ErrorCode.CONFLICT,
        f"narrowing to {narrowed!r} would collide with claims held by others "
        f"({', '.join(decision.blocking_claim_ids)}); the request stays pending.",
        conflicts=[conflict.model_dump(mode="json") for conflict in conflicts],
    )


def _requester_request(request: Row, holder: ClaimRecord, item: ClaimItem) -> ClaimRequest:
    return ClaimRequest(request["requester"], request["session_id"], holder.repo, (item,))


def _requester_decision(
    claims: ClaimService,
    request: Row,
    holder: ClaimRecord,
    item: ClaimItem,
    now: datetime,
    beside_holder: bool,
) -> Decision:
    candidates = claims.state.candidates(holder.repo, [item.pattern])
    if beside_holder:
        candidates = [claim for claim in candidates if claim.id != holder.id]
    with engine_errors():
        return decide(_requester_request(request, holder, item), candidates, claims.policy, now)


def _no_files(_a: str, _b: str) -> list[str]:
    return []  # these conflicts show the witness path; tracked-file lists are POST /claims' job
