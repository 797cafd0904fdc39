"""`/conflicts`: would these patterns conflict? Same rules as POST /claims (SPEC §10)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_engine.claims import ClaimItem
from coord_engine.decide import prepare_items
from coord_protocol.conflicts import ConflictBatchRequest
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import ClaimType
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_model, validate_query
from coord_server.routes._common import acting_engineer, query_flag, queue_depth_header
from coord_server.service.convert import engine_errors


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
    engineer = acting_engineer(request, query.engineer)
    principal = principal_of(request)
    principal.no_all_repos(query.all_repos)
    repo = principal.repo_for(query.repo)
    for session_id in query.session_ids:
        await ctx.touch(request, session_id, engineer)
    answer = await ctx.conflicts.check(
        engineer, _items(query), repo, query.all_repos, query.session_ids
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


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/conflicts", check_get, methods=["GET"]),
        Route("/conflicts/batch", check_batch, methods=["POST"]),
    ]
