"""What a holder's answer does to claims: grants to the requester, narrowing, coexist links.

Each function works inside the unit that holds the claim's repo, through the claim book.
"""

from __future__ import annotations

from typing import NoReturn

from coord_engine.budget import Work
from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.decide import Decision
from coord_engine.overlap import counterexample, covers
from coord_engine.patterns import normalize_pattern
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.service.arbiter import Unit
from coord_server.service.claims import ClaimBook
from coord_server.service.convert import engine_errors, wire_conflicts
from coord_server.service.records import ClaimRecord, GrantContext
from coord_server.storage import Row


async def grant_requester(
    book: ClaimBook,
    unit: Unit,
    request: Row,
    holder: ClaimRecord,
    item: ClaimItem,
    beside_holder: bool = False,
) -> tuple[list[str], list[str]]:
    """Grant `item` to the release request's requester unless a third party holds it.

    Returns (granted claim ids, blocking claim ids). `beside_holder` leaves the holder's claim
    out of the decision (coexist); everyone else is checked exactly as for POST /claims.
    """
    decision = await _requester_decision(book, unit, request, holder, item, beside_holder)
    if not decision.granted:
        return [], list(decision.blocking_claim_ids)
    context = GrantContext(description=f"release request {request['id']}: {request['reason']}")
    records = await book.grant(unit, _requester_request(request, holder, item), decision, context)
    return [record.id for record in records], []


async def refuse_coexist(
    book: ClaimBook, unit: Unit, request: Row, holder: ClaimRecord, item: ClaimItem
) -> NoReturn:
    """The 409 for a coexist answer that would overlap a third party's claim."""
    decision = await _requester_decision(book, unit, request, holder, item, beside_holder=True)
    conflicts = wire_conflicts(decision.conflicts, unit.view(holder.repo).claims, _no_files)
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


async def link(book: ClaimBook, unit: Unit, holder: ClaimRecord, granted: list[str]) -> None:
    """Cross-reference the holder's claim and the grants made beside it (`coexists_with`)."""
    view = unit.view(holder.repo)
    await book.update(unit, holder, coexists_with=[*holder.coexists_with, *granted])
    for claim_id in granted:
        partner = view.claims[claim_id]
        await book.update(unit, partner, coexists_with=[*partner.coexists_with, holder.id])


def narrowed_pattern(record: ClaimRecord, raw: str | None, work: Work | None = None) -> str:
    """The canonical narrowed pattern, refused (400) unless it is exactly inside the claim.

    The inclusion check is charged to `work` (and stops at its limit)."""
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
                f"narrowed_pattern {narrowed!r} is the pattern you hold already; give a smaller "
                "one, or answer denied.",
            )
        if not covers(record.pattern, narrowed, work):
            outside = counterexample(record.pattern, narrowed, work)
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                f"narrowed_pattern {narrowed!r} is not inside {record.pattern!r} (it matches "
                f"{outside!r}, which your claim does not); narrowing can only give scope up.",
                pattern=narrowed,
                rule="not_a_subset",
            )
    return narrowed


async def narrow(book: ClaimBook, unit: Unit, record: ClaimRecord, narrowed: str) -> None:
    """Give the holder's claim the narrowed pattern, a new fence and its new index entry.

    The narrowed claim is decided again against everyone but its coexisting partners first: a
    subset cannot overlap anyone new, but the check is what guarantees it, and it yields the
    severity and shared status of the new pattern.
    """
    grant = (await _recheck(book, unit, record, narrowed)).grants[0]
    view = unit.view(record.repo)
    fence = unit.next_fence(view)
    await book.update(unit, record, fence=fence, shared=record.shared or grant.shared,
                      severity=grant.severity, pattern=narrowed)  # fmt: skip
    view.repattern(record, narrowed)


async def _recheck(book: ClaimBook, unit: Unit, record: ClaimRecord, narrowed: str) -> Decision:
    view = unit.view(record.repo)
    partners = set(record.coexists_with)
    partners |= {claim.id for claim in view.records() if record.id in claim.coexists_with}
    item = ClaimItem(record.claim_type, narrowed, record.symbols, record.narrowable)
    request = ClaimRequest(record.engineer, record.session_id, record.repo, (item,))
    decision = await book.decide(unit, request, exclude_ids=partners)
    if decision.granted:
        return decision
    conflicts = wire_conflicts(decision.conflicts, view.claims, _no_files)
    raise CoordError(
        ErrorCode.CONFLICT,
        f"narrowing to {narrowed!r} would collide with claims held by others "
        f"({', '.join(decision.blocking_claim_ids)}); the request stays pending.",
        conflicts=[conflict.model_dump(mode="json") for conflict in conflicts],
    )


def _requester_request(request: Row, holder: ClaimRecord, item: ClaimItem) -> ClaimRequest:
    return ClaimRequest(request["requester"], request["session_id"], holder.repo, (item,))


async def _requester_decision(
    book: ClaimBook,
    unit: Unit,
    request: Row,
    holder: ClaimRecord,
    item: ClaimItem,
    beside_holder: bool,
) -> Decision:
    excluded = [holder.id] if beside_holder else []
    return await book.decide(unit, _requester_request(request, holder, item), exclude_ids=excluded)


def _no_files(_a: str, _b: str) -> list[str]:
    return []  # these conflicts show the witness path; tracked-file lists are POST /claims' job
