"""`/claims`: create (with the queue), list, release, extend (SPEC §4, §6, §10)."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_engine.claims import ClaimRequest
from coord_engine.decide import Decision
from coord_protocol.claims import (
    ClaimList,
    CreateClaimsRequest,
    CreateClaimsResponse,
    ExtendClaimRequest,
    ExtendClaimResponse,
    ReleaseClaimsRequest,
    ReleaseResponse,
)
from coord_protocol.vocab import ConflictOption, QueueState
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_body, read_model, validate_query
from coord_server.routes._common import query_flag, queue_depth_header, require_engineer
from coord_server.service.claims import GrantContext
from coord_server.service.convert import engine_request, next_step, wire_conflicts
from coord_server.service.queue import Outcome, Waiter
from coord_server.service.records import ClaimRecord
from coord_server.service.scope import ScopeReport, check_scope

CONFLICT_OPTIONS = [ConflictOption.WAIT, ConflictOption.NARROW_CLAIM, ConflictOption.ESCALATE]


async def create_claims(request: Request) -> Response:
    """`POST /claims`: grant, refuse with the conflicts, or queue and long-poll."""
    ctx = context(request)
    raw = await read_body(request)
    scope = f"{request.scope.get('coord.principal')}:POST /claims"
    key = request.headers.get("idempotency-key")
    return await ctx.idempotency.run(key, scope, raw, lambda: _create(ctx, request))


async def _create(ctx: AppContext, request: Request) -> Response:
    body = await read_model(request, CreateClaimsRequest)
    engineer = require_engineer(body.engineer)
    ctx.touch(request, body.session_id)
    claim_request = engine_request(body, engineer)
    report = await check_scope(ctx, claim_request)
    now = ctx.clock()
    decision = ctx.claims.decide(claim_request, now)
    if decision.granted:
        records = ctx.claims.grant(claim_request, decision, _context(body), now)
        return _granted(ctx, engineer, records, decision, report)
    _count_refusal(ctx, claim_request, decision)
    if body.wait_seconds > 0:
        waiter = ctx.desk.park(claim_request, body, _context(body))
        outcome = await wait_in_queue(ctx, request, waiter, body.wait_seconds)
        return _after_wait(ctx, engineer, claim_request, waiter, outcome, report)
    return _refused(ctx, engineer, decision, report)


def _context(body: CreateClaimsRequest) -> GrantContext:
    return GrantContext(branch=body.branch, description=body.description)


def _count_refusal(ctx: AppContext, request: ClaimRequest, decision: Decision) -> None:
    ctx.metrics.conflicts.inc()
    ctx.claims.refused(request, decision)


def _granted(
    ctx: AppContext,
    engineer: str,
    records: list[ClaimRecord],
    decision: Decision,
    report: ScopeReport,
    queue_id: str | None = None,
) -> Response:
    ctx.metrics.claims_created.inc(len(records))
    answer = CreateClaimsResponse(
        claim_ids=[record.id for record in records],
        warnings=[*report.warnings, *decision.warnings],
        claims=[record.to_wire() for record in records],
        notices=[notice for grant in decision.grants for notice in grant.notices],
        queue_id=queue_id,
    )
    return model_response(answer, 200, queue_depth_header(ctx, engineer))


def _refused(
    ctx: AppContext,
    engineer: str,
    decision: Decision,
    report: ScopeReport,
    queue_id: str | None = None,
    why: str | None = None,
) -> Response:
    conflicts = wire_conflicts(decision.conflicts, ctx.claims.state.claims, report.overlap)
    answer = CreateClaimsResponse(
        conflicts=conflicts,
        warnings=[*report.warnings, *decision.warnings, *([why] if why else [])],
        options=CONFLICT_OPTIONS,
        queue_id=queue_id,
        next_step=why or next_step(conflicts),
    )
    return model_response(answer, 409, queue_depth_header(ctx, engineer))


async def wait_in_queue(
    ctx: AppContext, request: Request, waiter: Waiter, seconds: int
) -> Outcome | None:
    """Await the grant, the deadline, a cancel, or the caller hanging up (which cancels)."""
    hang_up: asyncio.Future[object] = asyncio.ensure_future(_disconnected(request))
    try:
        watched: set[asyncio.Future[object]] = {waiter.future, hang_up}  # type: ignore[arg-type]
        done, _ = await asyncio.wait(watched, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hang_up.cancel()
    if waiter.future.done():
        return waiter.future.result()
    if hang_up in done:
        ctx.desk.finish(waiter.entry.queue_id, QueueState.CANCELLED)
        return None
    ctx.desk.finish(waiter.entry.queue_id, QueueState.EXPIRED)
    return Outcome(QueueState.EXPIRED)


async def _disconnected(request: Request) -> object:
    # The body has been read, so the next message the server sends is the disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        continue
    return None


def _after_wait(
    ctx: AppContext,
    engineer: str,
    claim_request: ClaimRequest,
    waiter: Waiter,
    outcome: Outcome | None,
    report: ScopeReport,
) -> Response:
    queue_id = waiter.entry.queue_id
    if outcome is None:  # the caller is gone; nobody reads this answer
        return Response(status_code=499)
    if outcome.state is QueueState.GRANTED and outcome.decision is not None:
        return _granted(ctx, engineer, outcome.records, outcome.decision, report, queue_id)
    now = ctx.clock()
    decision = ctx.claims.decide(claim_request, now)
    if decision.granted and outcome.state is QueueState.EXPIRED:
        # Free at the very deadline: granting now beats a 409 the caller would retry at once.
        records = ctx.claims.grant(claim_request, decision, waiter.context, now)
        return _granted(ctx, engineer, records, decision, report, queue_id)
    why = (
        f"queue entry {queue_id} was cancelled before it was granted."
        if outcome.state is QueueState.CANCELLED
        else None
    )
    return _refused(ctx, engineer, decision, report, queue_id, why)


class ListQuery(BaseModel):
    """Query of `GET /claims`."""

    engineer: str | None = None
    module: str | None = None
    repo: str | None = None
    session_id: str | None = None
    limit: int = Field(default=500, ge=1, le=5000)


async def list_claims(request: Request) -> Response:
    """`GET /claims`: active claims from memory, or the history from the database."""
    ctx = context(request)
    query = validate_query(ListQuery, dict(request.query_params))
    active_only = query_flag(request, "active_only", True)
    all_repos = query_flag(request, "all_repos", False)
    ctx.touch(request, query.session_id)
    repo_filter = None if all_repos else query.repo
    if active_only:
        records = _active_matching(ctx, query, repo_filter)
    else:
        rows = ctx.store.claims_history(
            {"engineer": query.engineer, "repo": repo_filter, "session_id": query.session_id},
            query.limit if not query.module else 5000,
        )
        records = [ClaimRecord.from_row(row) for row in rows]
        if query.module:
            records = [r for r in records if query.module in r.pattern]
    records = records[: query.limit]
    claims = [r.to_wire(ctx.sessions.last_seen.get(r.session_id or "")) for r in records]
    answer = ClaimList(claims=claims, count=len(claims))
    return model_response(answer, 200, queue_depth_header(ctx, query.engineer))


def _active_matching(ctx: AppContext, query: ListQuery, repo: str | None) -> list[ClaimRecord]:
    def keep(record: ClaimRecord) -> bool:
        return (
            (query.engineer is None or record.engineer == query.engineer)
            and (repo is None or record.repo == repo)
            and (query.session_id is None or record.session_id == query.session_id)
            and (query.module is None or query.module in record.pattern)
        )

    found = [record for record in ctx.claims.state.claims.values() if keep(record)]
    return sorted(found, key=lambda record: record.created_at, reverse=True)


async def release_claim(request: Request) -> Response:
    """`DELETE /claims/{id}`: release one claim."""
    ctx = context(request)
    engineer = request.query_params.get("engineer") or None
    released = ctx.claims.release_one(request.path_params["claim_id"], engineer)
    answer = ReleaseResponse(released=len(released), claim_ids=released)
    return model_response(answer, 200, queue_depth_header(ctx, engineer))


async def release_claims(request: Request) -> Response:
    """`POST /claims/release`: release several claims."""
    ctx = context(request)
    raw = await read_body(request)
    scope = f"{request.scope.get('coord.principal')}:POST /claims/release"
    key = request.headers.get("idempotency-key")

    async def produce() -> Response:
        body = await read_model(request, ReleaseClaimsRequest)
        released = ctx.claims.release_ids(body.claim_ids, body.engineer)
        answer = ReleaseResponse(released=len(released), claim_ids=released)
        return model_response(answer, 200, queue_depth_header(ctx, body.engineer))

    return await ctx.idempotency.run(key, scope, raw, produce)


async def extend_claim(request: Request) -> Response:
    """`POST /claims/{id}/extend`: a new expiry, counted as activity."""
    ctx = context(request)
    body = await read_model(request, ExtendClaimRequest)
    record = ctx.claims.extend(request.path_params["claim_id"], body.engineer, body.ttl_hours)
    ctx.touch(request, record.session_id)
    answer = ExtendClaimResponse(claim=record.to_wire())
    return model_response(answer, 200, queue_depth_header(ctx, body.engineer))


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/claims", create_claims),
    ("GET", "/claims", list_claims),
    ("POST", "/claims/release", release_claims),
    ("DELETE", "/claims/{claim_id}", release_claim),
    ("POST", "/claims/{claim_id}/extend", extend_claim),
]


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [Route(path, endpoint, methods=[method]) for method, path, endpoint in ROUTES]
