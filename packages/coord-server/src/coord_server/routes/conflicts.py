"""`/conflicts`: would these patterns conflict? Same rules as POST /claims (SPEC §10)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_engine.claims import ClaimItem, ClaimRequest
from coord_engine.decide import prepare_items
from coord_protocol.conflicts import ConflictBatchRequest, ConflictCheckResponse
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import ClaimType
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_model, validate_query
from coord_server.routes._common import query_flag, queue_depth_header, require_engineer
from coord_server.service.convert import engine_errors, wire_conflicts
from coord_server.service.scope import ScopeReport, tracked_files, zero_match_warnings


async def check_get(request: Request) -> Response:
    """`GET /conflicts?pattern=...&engineer=...`."""
    params = request.query_params
    values: dict[str, Any] = {
        "patterns": params.getlist("pattern"),
        "engineer": params.get("engineer"),
        "repo": params.get("repo"),
        "all_repos": query_flag(request, "all_repos", False),
        "session_ids": params.getlist("session_id"),
        "symbols": params.getlist("symbols"),
    }
    query = validate_query(ConflictBatchRequest, {k: v for k, v in values.items() if v is not None})
    return await _check(context(request), request, query)


async def check_batch(request: Request) -> Response:
    """`POST /conflicts/batch` with a JSON body."""
    body = await read_model(request, ConflictBatchRequest)
    return await _check(context(request), request, body)


async def _check(ctx: AppContext, request: Request, query: ConflictBatchRequest) -> Response:
    engineer = require_engineer(query.engineer)
    for session_id in query.session_ids:
        ctx.touch(request, session_id)
    items = _items(query)
    tracked = await tracked_files(ctx)
    repos = ctx.claims.state.repos() if query.all_repos else {query.repo}
    now = ctx.clock()
    conflicts = []
    report = ScopeReport(tracked)
    for repo in sorted(repos, key=lambda r: r or ""):
        claim_request = ClaimRequest(engineer, None, repo, items)
        decision = ctx.claims.decide(claim_request, now, exclude_sessions=query.session_ids)
        conflicts += wire_conflicts(decision.conflicts, ctx.claims.state.claims, report.overlap)
    warnings = [] if tracked is None else zero_match_warnings(tracked, [i.pattern for i in items])
    answer = ConflictCheckResponse(
        has_conflicts=bool(conflicts),
        conflicts=conflicts,
        safe=not conflicts,
        safe_to_proceed=not conflicts,
        suggestion=_suggestion(conflicts),
        warnings=warnings,
    )
    return model_response(answer, 200, queue_depth_header(ctx, engineer))


def _items(query: ConflictBatchRequest) -> tuple[ClaimItem, ...]:
    """One file item per pattern; `path#Symbol` entries make that path's item symbol-scoped."""
    symbols: dict[str, list[str]] = {}
    for entry in query.symbols:
        path, sep, symbol = entry.partition("#")
        if not sep or not path or not symbol:
            raise CoordError(
                ErrorCode.INVALID_SYMBOL,
                f"symbols entry {entry!r} must look like 'path#Symbol' (e.g. src/a.ts#Router).",
            )
        symbols.setdefault(path, []).append(symbol)
    patterns = list(dict.fromkeys([*query.patterns, *symbols]))
    raw = [
        ClaimItem(ClaimType.FILE, p, tuple(symbols[p]) if p in symbols else None) for p in patterns
    ]
    with engine_errors():
        return prepare_items(raw)


def _suggestion(conflicts: list[Any]) -> str | None:
    if not conflicts:
        return None
    holders = sorted({c.conflicting_claim.engineer for c in conflicts})
    return (
        f"held by {', '.join(holders)}: claim with wait_seconds to queue, narrow to other "
        "symbols, or ask the holder to release."
    )


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/conflicts", check_get, methods=["GET"]),
        Route("/conflicts/batch", check_batch, methods=["POST"]),
    ]
