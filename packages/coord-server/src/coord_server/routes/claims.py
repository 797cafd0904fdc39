"""`/claims`: create (with the queue), list, release, extend (SPEC §4, §6, §10)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol._base import SessionId
from coord_protocol.claims import (
    ClaimList,
    CreateClaimsRequest,
    CreateClaimsResponse,
    ExtendClaimRequest,
    ExtendClaimResponse,
    ReleaseClaimsRequest,
    ReleaseResponse,
)
from coord_protocol.vocab import ConflictOption
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.errors import CLIENT_CLOSED_REQUEST
from coord_server.http import model_response, read_body, read_model, validate_query
from coord_server.paging import decode_cursor
from coord_server.routes._common import (
    acting_engineer,
    actor_of,
    disconnected,
    query_flag,
    queue_depth_header,
)
from coord_server.service.claiming import ClaimOutcome

CONFLICT_OPTIONS = [ConflictOption.WAIT, ConflictOption.NARROW_CLAIM, ConflictOption.ESCALATE]


async def create_claims(request: Request) -> Response:
    """`POST /claims`: grant, refuse with the conflicts, or queue and long-poll."""
    ctx = context(request)
    raw = await read_body(request)
    scope = f"{principal_of(request).key}:POST /claims"
    key = request.headers.get("idempotency-key")
    return await ctx.idempotency.run(key, scope, raw, lambda: _create(ctx, request))


async def _create(ctx: AppContext, request: Request) -> Response:
    body = await read_model(request, CreateClaimsRequest)
    engineer = acting_engineer(request, body.engineer)
    repo = principal_of(request).repo_for(body.repo)
    if repo != body.repo:
        body = body.model_copy(update={"repo": repo})
    await ctx.touch(request, body.session_id, engineer)
    outcome = await ctx.claiming.claim(body, engineer, lambda: disconnected(request))
    return _render(ctx, engineer, outcome)


def _render(ctx: AppContext, engineer: str, outcome: ClaimOutcome) -> Response:
    if outcome.caller_gone:  # nobody reads this answer
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    if outcome.granted:
        answer = CreateClaimsResponse(
            claim_ids=[record.id for record in outcome.records],
            warnings=list(outcome.warnings),
            claims=[record.to_wire() for record in outcome.records],
            notices=list(outcome.notices),
            queue_id=outcome.queue_id,
        )
        return model_response(answer, 200, queue_depth_header(ctx, engineer))
    answer = CreateClaimsResponse(
        conflicts=list(outcome.conflicts),
        warnings=list(outcome.warnings),
        options=CONFLICT_OPTIONS,
        queue_id=outcome.queue_id,
        next_step=outcome.next_step,
    )
    return model_response(answer, 409, queue_depth_header(ctx, engineer))


class ListQuery(BaseModel):
    """Query of `GET /claims`."""

    engineer: str | None = None
    module: str | None = None
    repo: str | None = None
    session_id: SessionId | None = None
    limit: int = Field(default=500, ge=1, le=5000)
    cursor: str | None = Field(default=None, max_length=400)


async def list_claims(request: Request) -> Response:
    """`GET /claims`: active claims (as every replica holds them now), or the history."""
    ctx = context(request)
    query = validate_query(ListQuery, dict(request.query_params))
    active_only = query_flag(request, "active_only", True)
    all_repos = query_flag(request, "all_repos", False)
    principal = principal_of(request)
    principal.no_all_repos(all_repos)
    repo = principal.repo_for(query.repo)
    await ctx.touch(request, query.session_id)
    # A scoped token lists its repo only; `engineer` here is a filter, not an identity.
    filters = {
        "engineer": query.engineer,
        "repo": None if all_repos else repo,
        "session_id": query.session_id,
    }
    cursor = decode_cursor(query.cursor)
    listing = ctx.holdings.active if active_only else ctx.holdings.history
    page = await listing(filters, query.module, cursor, query.limit)
    seen = await ctx.sessions.activity(r.session_id for r in page.rows if r.session_id)
    claims = [record.to_wire(seen.get(record.session_id or "")) for record in page.rows]
    answer = ClaimList(
        claims=claims, count=len(claims), total=page.total, next_cursor=page.next_cursor
    )
    return model_response(answer, 200, queue_depth_header(ctx, query.engineer))


async def release_claim(request: Request) -> Response:
    """`DELETE /claims/{id}`: release one claim."""
    ctx = context(request)
    actor = actor_of(request, request.query_params.get("engineer") or None)
    released = await ctx.holdings.release_one(request.path_params["claim_id"], actor)
    answer = ReleaseResponse(released=len(released), claim_ids=released)
    return model_response(answer, 200, queue_depth_header(ctx, actor.engineer))


async def release_claims(request: Request) -> Response:
    """`POST /claims/release`: release several claims."""
    ctx = context(request)
    raw = await read_body(request)
    scope = f"{principal_of(request).key}:POST /claims/release"
    key = request.headers.get("idempotency-key")

    async def produce() -> Response:
        body = await read_model(request, ReleaseClaimsRequest)
        actor = actor_of(request, body.engineer)
        released = await ctx.holdings.release_ids(body.claim_ids, actor)
        answer = ReleaseResponse(released=len(released), claim_ids=released)
        return model_response(answer, 200, queue_depth_header(ctx, actor.engineer))

    return await ctx.idempotency.run(key, scope, raw, produce)


async def extend_claim(request: Request) -> Response:
    """`POST /claims/{id}/extend`: a new expiry, counted as activity."""
    ctx = context(request)
    body = await read_model(request, ExtendClaimRequest)
    claim_id = request.path_params["claim_id"]
    actor = actor_of(request, body.engineer)
    record = await ctx.holdings.extend(claim_id, actor, body.ttl_hours)
    await ctx.touch(request, record.session_id, record.engineer)
    answer = ExtendClaimResponse(claim=record.to_wire())
    return model_response(answer, 200, queue_depth_header(ctx, actor.engineer))


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
