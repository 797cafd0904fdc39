"""Handlers of the negotiation tools: release requests, the inbox, the queue.

A service without the release-request routes answers 404 ("no such route") or 405: those
tools then return an `unsupported` refusal and do nothing, and start working by themselves
once the service has the routes.
"""

from __future__ import annotations

import math
import time

import anyio

from coord_mcp.arguments import (
    CancelQueueRequestArguments,
    MyRequestsArguments,
    PendingRequestsArguments,
    RequestReleaseArguments,
    RespondToRequestArguments,
    WaitForRequestArguments,
)
from coord_mcp.caller import Caller
from coord_mcp.refusals import missing_route, unsupported, who_are_you
from coord_mcp.results import MyRequests, Refusal, ToolResult, refused, succeeded
from coord_protocol.client import Calls
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.queue import CancelQueueResponse, QueueList
from coord_protocol.requests import (
    CreateReleaseRequest,
    PendingRequests,
    ReleaseRequest,
    ReleaseRequestList,
    RespondRequest,
)
from coord_protocol.vocab import RequestDecision

POLL_INTERVAL_SEC = 1.0
"""How often `wait_for_request` asks again when the service answers without long-polling."""

_INSTEAD_OF_REQUESTS = (
    "Queue instead: claim_files with wait_seconds (up to 600) is granted as soon as the holder "
    "releases; or reach the holder another way."
)


async def request_release(caller: Caller, args: RequestReleaseArguments) -> ToolResult:
    """Ask the holder of a claim to release or narrow it; optionally wait for the answer."""
    body = CreateReleaseRequest(
        claim_id=args.claim_id,
        requester=caller.identity.acting_engineer(),
        reason=args.reason,
        urgency=args.urgency,
        session_id=caller.identity.session_id,
        requested_scope=args.requested_scope,
        wait_seconds=args.wait_seconds,
    )
    try:
        answer = await caller.client.send(Calls.request_release(body), ReleaseRequest)
    except CoordError as error:
        if missing_route(error):
            return unsupported("release requests", error, _INSTEAD_OF_REQUESTS)
        if body.requester is None and error.code is ErrorCode.VALIDATION_ERROR:
            return who_are_you(error, caller.hints)
        raise
    return _request_outcome(answer)


def _request_outcome(request: ReleaseRequest) -> ToolResult:
    if request.state == "pending":
        summary = (
            f"release request {request.id} is waiting for {request.holder} (their claim on "
            f"{request.holder_pattern!r} now expires sooner)"
        )
        step = (
            f"Wait for the answer with wait_for_request(request_id={request.id!r}), or work on "
            "other files and check later."
        )
        return succeeded(summary, step, request)
    decision = request.decision or request.state
    summary = f"release request {request.id}: {decision} by {request.holder}"
    return succeeded(summary, _after_decision(request), request)


def _after_decision(request: ReleaseRequest) -> str:
    granted = request.granted_claim_ids
    if granted:
        return f"You now hold claims {granted!r}: edit, then release_claims(claim_ids={granted!r})."
    if request.decision is RequestDecision.DENIED:
        return (
            "The holder keeps the claim: queue with claim_files(wait_seconds=...) or work on "
            "other files."
        )
    changed = request.holder_pattern
    return f"Claim what you need now with claim_files (the hold on {changed!r} changed)."


async def respond_to_request(caller: Caller, args: RespondToRequestArguments) -> ToolResult:
    """Answer a release request filed against one of your claims."""
    if args.decision is RequestDecision.NARROWED and not args.narrowed_pattern:
        refusal = Refusal(
            code="invalid_arguments", detail="decision 'narrowed' needs narrowed_pattern"
        )
        step = "Call respond_to_request again with narrowed_pattern: the part you keep."
        return refused(refusal, step)
    body = RespondRequest(
        decision=args.decision,
        engineer=caller.identity.acting_engineer(),
        note=args.note,
        narrowed_pattern=args.narrowed_pattern,
        coexist_pattern=args.coexist_pattern,
        coexist_symbols=args.coexist_symbols,
    )
    try:
        answer = await caller.client.send(
            Calls.respond_to_request(args.request_id, body), ReleaseRequest
        )
    except CoordError as error:
        if missing_route(error):
            instead = "If you can give the claim up, release it with release_claims."
            return unsupported("answering release requests", error, instead)
        if body.engineer is None and error.code is ErrorCode.VALIDATION_ERROR:
            return who_are_you(error, caller.hints)
        raise
    return succeeded(f"answered {args.request_id}: {args.decision}", _as_holder(args), answer)


def _as_holder(args: RespondToRequestArguments) -> str:
    if args.decision is RequestDecision.APPROVED:
        return "Your claim is released: stop editing those files; claim again later if needed."
    if args.decision is RequestDecision.NARROWED:
        return f"You now hold only {args.narrowed_pattern!r}: keep your edits inside it."
    if args.decision is RequestDecision.COEXIST:
        return "The requester now works beside you: keep to your own part of the files."
    return "You keep the claim: release it with release_claims as soon as you are done."


async def wait_for_request(caller: Caller, args: WaitForRequestArguments) -> ToolResult:
    """Wait until a release request you filed is decided, or until `timeout` seconds pass."""
    deadline = time.monotonic() + args.timeout
    while True:
        remaining = math.ceil(deadline - time.monotonic())
        try:
            answer = await caller.client.send(
                Calls.release_request(args.request_id, max(remaining, 0)), ReleaseRequest
            )
        except CoordError as error:
            if missing_route(error):
                return unsupported("release requests", error, _INSTEAD_OF_REQUESTS)
            raise
        if answer.state != "pending" or time.monotonic() >= deadline:
            break
        # The service answered before the deadline without a decision: it does not long-poll.
        await anyio.sleep(min(POLL_INTERVAL_SEC, max(deadline - time.monotonic(), 0)))
    if answer.state == "pending":
        step = (
            f"Still undecided after {args.timeout} s: call wait_for_request again, or queue "
            "with claim_files(wait_seconds=...) meanwhile."
        )
        return succeeded(f"release request {answer.id} is still pending", step, answer)
    return _request_outcome(answer)


async def pending_requests(caller: Caller, args: PendingRequestsArguments) -> ToolResult:
    """The inbox of a session: release requests to answer, and notices about your claims."""
    session_id = args.session_id or caller.identity.session_id
    if not session_id:
        refusal = Refusal(code="invalid_arguments", detail="no session id to read the inbox of")
        return refused(refusal, "Call pending_requests(session_id=...) with your session id.")
    try:
        inbox = await caller.client.send(Calls.pending_requests(session_id), PendingRequests)
    except CoordError as error:
        if missing_route(error):
            instead = "No release request can reach you before then; list_claims shows yours."
            return unsupported("the holder's inbox", error, instead)
        raise
    summary = f"{len(inbox.requests)} release request(s) to answer, {inbox.count} notice(s)"
    if not inbox.requests:
        return succeeded(summary, "Nothing to answer; check again between tasks.", inbox)
    first = inbox.requests[0]
    step = (
        f"Answer each request: respond_to_request(request_id={first.id!r}, decision='approved' "
        "| 'denied' | 'narrowed' | 'coexist'); approve when you are done with the files."
    )
    return succeeded(summary, step, inbox)


async def my_requests(caller: Caller, args: MyRequestsArguments) -> ToolResult:
    """Your waiting queue entries (`queued`) or your release requests."""
    engineer = caller.identity.acting_engineer(args.engineer)
    if args.queued:
        return await _queued(caller, engineer)
    filters = {"requester": engineer, "repo": caller.identity.repo_id}
    filters["decision"] = str(args.decision) if args.decision else None
    try:
        listing = await caller.client.send(Calls.release_requests(**filters), ReleaseRequestList)
    except CoordError as error:
        if missing_route(error):
            instead = "my_requests(queued=true) lists your claims waiting in the queue."
            return unsupported("listing release requests", error, instead)
        raise
    result = MyRequests(
        queued=False,
        requests=listing.requests,
        count=listing.count,
        total=listing.total,
        next_cursor=listing.next_cursor,
    )
    step = "wait_for_request(request_id=...) waits for the answer to a pending one."
    return succeeded(f"{_of_total(listing.count, listing.total)} release request(s)", step, result)


def _of_total(count: int, total: int) -> str:
    return f"the newest {count} of {total}" if total > count else str(count)


async def _queued(caller: Caller, engineer: str | None) -> ToolResult:
    listing = await caller.client.send(
        Calls.queue(engineer=engineer, repo=caller.identity.repo_id), QueueList
    )
    result = MyRequests(
        queued=True,
        requests=listing.requests,
        count=listing.count,
        total=listing.total,
        next_cursor=listing.next_cursor,
    )
    if not listing.requests:
        return succeeded("nothing waiting in the queue", "Nothing to do.", result)
    step = (
        "Each entry names who you wait on (blocking_engineer, blocking_pattern); its claim_files "
        "call returns when granted. cancel_queue_request(queue_id=...) gives up a wait."
    )
    return succeeded(f"{listing.count} claim request(s) waiting in the queue", step, result)


async def cancel_queue_request(caller: Caller, args: CancelQueueRequestArguments) -> ToolResult:
    """Give up a waiting claim request; its `claim_files` call returns refused at once."""
    engineer = caller.identity.allowed(args.engineer)
    if engineer and not await _waits_for(caller, args.queue_id, engineer):
        refusal = Refusal(
            code="not_found", detail=f"queue entry {args.queue_id} is not waiting for {engineer}"
        )
        step = f"my_requests(queued=true, engineer={engineer!r}) lists the entries you own."
        return refused(refusal, step)
    answer = await caller.client.send(Calls.cancel_queue(args.queue_id), CancelQueueResponse)
    if answer.cancelled:
        summary = f"cancelled queue entry {args.queue_id}; its claim_files call returns refused"
    else:
        summary = f"queue entry {args.queue_id} had already left the queue"
    return succeeded(summary, "Claim again with claim_files when you need the files.", answer)


async def _waits_for(caller: Caller, queue_id: str, engineer: str) -> bool:
    listing = await caller.client.send(Calls.queue(engineer=engineer), QueueList)
    return any(entry.queue_id == queue_id for entry in listing.requests)
