"""Handlers of the claim tools: claim, check, list, release, extend, end a session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from coord_mcp.arguments import (
    CheckConflictsArguments,
    ClaimFilesArguments,
    ExtendClaimsArguments,
    ListClaimsArguments,
    ReleaseClaimsArguments,
    ReleaseSessionArguments,
)
from coord_mcp.caller import Caller
from coord_mcp.refusals import conflict_next_step, conflict_refusal, holder_phrase, who_are_you
from coord_mcp.results import ExtendedClaims, Refusal, ToolResult, refused, succeeded
from coord_mcp.validation import check_symbols
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
from coord_protocol.client import Calls
from coord_protocol.conflicts import ConflictBatchRequest, ConflictCheckResponse
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import ClaimType

# Errors about the whole call, not one claim: they end `extend_claims` instead of being listed.
_CALL_ERRORS = frozenset({ErrorCode.UNAUTHORIZED, ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED})


async def claim_files(caller: Caller, args: ClaimFilesArguments) -> ToolResult:
    """Claim files (or symbols), waiting in the queue when asked; a 409 comes back as data."""
    engineer = _engineer(caller, args.engineer)
    invalid = _validate_locally(caller, args.symbols)
    if invalid is not None:
        return invalid
    request = CreateClaimsRequest(
        engineer=engineer,
        claims=claim_specs(args),
        branch=args.branch or caller.identity.branch,
        description=args.description,
        ttl_hours=args.ttl_hours,
        repo=caller.identity.repo_id,
        session_id=caller.identity.session_id,
        wait_seconds=args.wait_seconds,
        urgency=args.urgency,
    )
    try:
        response = await caller.client.send(Calls.create_claims(request), CreateClaimsResponse)
    except CoordError as error:
        return _unnamed(error, engineer, caller)
    if not response.claim_ids:
        return conflict_refusal(response, args.wait_seconds)
    return _granted(response)


def claim_specs(args: ClaimFilesArguments) -> list[ClaimSpec]:
    """The claim batch: each pattern (with its symbols), symbol-only paths, shared files."""
    symbols = args.symbols or {}
    specs = [
        ClaimSpec(pattern=pattern, symbols=symbols.get(pattern), narrowable=args.narrowable)
        for pattern in args.patterns
    ]
    specs += [
        ClaimSpec(pattern=path, symbols=names, narrowable=args.narrowable)
        for path, names in symbols.items()
        if path not in args.patterns
    ]
    specs += [ClaimSpec(type=ClaimType.SHARED_FILE, pattern=p) for p in args.shared_files or []]
    return specs


def _granted(response: CreateClaimsResponse) -> ToolResult:
    patterns = ", ".join(claim.pattern for claim in response.claims) or "your patterns"
    waited = f" after waiting in the queue ({response.queue_id})" if response.queue_id else ""
    step = (
        f"Edit the files now. When done, call release_claims(claim_ids={response.claim_ids!r})"
        f"{_expiry_note(response.claims)}."
    )
    remarks = [*response.warnings, *response.notices]
    if remarks:
        step += " Note: " + " ".join(remarks)
    return succeeded(
        f"granted {len(response.claim_ids)} claim(s){waited}: {patterns}", step, response
    )


def _expiry_note(claims: Sequence[Claim]) -> str:
    if not claims:
        return ""
    earliest = min(claim.expires_at for claim in claims).astimezone(UTC)
    return (
        f"; they expire at {earliest:%Y-%m-%dT%H:%MZ} unless you call extend_claims to keep "
        "them longer"
    )


async def check_conflicts(caller: Caller, args: CheckConflictsArguments) -> ToolResult:
    """Ask whether files are free for this engineer; conflicts are an answer, not a refusal."""
    engineer = _engineer(caller, args.engineer)
    invalid = _validate_locally(caller, args.symbols)
    if invalid is not None:
        return invalid
    session = caller.identity.session_id
    request = ConflictBatchRequest(
        patterns=args.files,
        engineer=engineer,
        repo=caller.identity.repo_id,
        session_ids=[session] if session else [],
        symbols=[
            f"{path}#{name}" for path, names in (args.symbols or {}).items() for name in names
        ],
    )
    try:
        response = await caller.client.send(Calls.check_conflicts(request), ConflictCheckResponse)
    except CoordError as error:
        return _unnamed(error, engineer, caller)
    if not response.has_conflicts:
        step = (
            f"Claim them before editing: claim_files(engineer={engineer!r}, "
            f"patterns={args.files!r})."
        )
        return succeeded("no conflicts: nobody else holds these files", step, response)
    holders = "; ".join(dict.fromkeys(holder_phrase(conflict) for conflict in response.conflicts))
    step = conflict_next_step(response.conflicts, datetime.now(UTC), lead="Do not edit them yet.")
    return succeeded(f"{len(response.conflicts)} conflict(s): {holders}", step, response)


def _engineer(caller: Caller, named: str | None) -> str | None:
    """Who acts: the one named (within the token's principal, where known), else the default."""
    engineer = caller.identity.acting_engineer(named)
    if engineer:
        caller.identity.remember(engineer)
    return engineer


def _unnamed(error: CoordError, engineer: str | None, caller: Caller) -> ToolResult:
    """Re-raises `error`, unless the service refused only because nobody was named."""
    if engineer is None and error.code is ErrorCode.VALIDATION_ERROR:
        return who_are_you(error, caller.hints)
    raise error


def _validate_locally(
    caller: Caller, symbols: Mapping[str, Sequence[str]] | None
) -> ToolResult | None:
    if not symbols or not caller.validate_symbols or caller.repo_root is None:
        return None
    return check_symbols(caller.repo_root, symbols)


async def list_claims(caller: Caller, args: ListClaimsArguments) -> ToolResult:
    """List claims in this repository."""
    call = Calls.list_claims(
        active_only=args.active_only,
        engineer=args.engineer,
        module=args.module,
        repo=caller.identity.repo_id,
    )
    listing = await caller.client.send(call, ClaimList)
    step = (
        "Files held by others are off limits: claim other files, or claim_files with "
        "wait_seconds to queue. Release your own with release_claims when done."
    )
    if listing.total > listing.count:  # one page: say so, never cut the list silently
        summary = f"the newest {listing.count} of {listing.total} claim(s)"
        step += " Only the newest are listed: filter with engineer or module to see the others."
        return succeeded(summary, step, listing)
    return succeeded(f"{listing.count} claim(s)", step, listing)


async def release_claims(caller: Caller, args: ReleaseClaimsArguments) -> ToolResult:
    """Release claims by id."""
    engineer = caller.identity.allowed(args.engineer)
    request = ReleaseClaimsRequest(claim_ids=args.claim_ids, engineer=engineer)
    answer = await caller.client.send(Calls.release_claims(request), ReleaseResponse)
    summary = f"released {answer.released} of {len(args.claim_ids)} claim(s)"
    if answer.released < len(args.claim_ids):
        summary += (
            "; the others were not active (already released or expired) or are held by "
            "another engineer"
        )
    step = "Done. Claim again with claim_files before editing those files again."
    return succeeded(summary, step, answer)


async def extend_claims(caller: Caller, args: ExtendClaimsArguments) -> ToolResult:
    """Give each claim a new expiry; claims that cannot be extended are listed, not fatal."""
    outcome = ExtendedClaims()
    engineer = caller.identity.named_engineer(args.engineer)
    request = ExtendClaimRequest(engineer=engineer, ttl_hours=args.ttl_hours)
    for claim_id in dict.fromkeys(args.claim_ids):
        try:
            answer = await caller.client.send(
                Calls.extend_claim(claim_id, request), ExtendClaimResponse
            )
        except CoordError as error:
            if error.code in _CALL_ERRORS:
                raise
            outcome.failed[claim_id] = error.detail
        else:
            outcome.claims.append(answer.claim)
    summary = f"extended {len(outcome.claims)} claim(s) by {args.ttl_hours:g} h"
    if not outcome.failed:
        return succeeded(summary, "Keep working; release_claims when done.", outcome)
    refusal = Refusal(
        code="not_found",
        detail=f"{summary}; not extended: {', '.join(outcome.failed)} (see failed)",
        http_status=404,
    )
    mine = f"engineer={engineer!r}" if engineer else ""
    step = (
        f"list_claims({mine}) shows your active claims; claims that expired or were released "
        "must be claimed again with claim_files."
    )
    return refused(refusal, step, outcome)


async def release_session(caller: Caller, args: ReleaseSessionArguments) -> ToolResult:
    """Release every claim of a session (this server's own by default)."""
    session_id = args.session_id or caller.identity.session_id
    if not session_id:
        refusal = Refusal(code="invalid_arguments", detail="no session id to release")
        return refused(refusal, "Call release_session(session_id=...) with the session to end.")
    answer = await caller.client.send(Calls.release_session(session_id), ReleaseResponse)
    step = (
        "The session's claims are released; you may claim again at any time with claim_files "
        "(the session stays usable)."
    )
    return succeeded(f"released {answer.released} claim(s) of session {session_id}", step, answer)
