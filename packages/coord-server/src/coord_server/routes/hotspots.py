"""`/metrics/hotspots`, `/metrics/auto-resolutions`: contention and its resolutions (SPEC §8)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.ownership import (
    AutoResolutionDay,
    AutoResolutionSeries,
    Hotspot,
    HotspotList,
    PromoteRequest,
    PromoteResponse,
)
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response, read_model, validate_query
from coord_server.routes.ownership import require_operator


class WindowQuery(BaseModel):
    """Query of `GET /metrics/auto-resolutions`."""

    days: int = Field(default=30, ge=1, le=365)
    repo: str | None = None


class HotspotQuery(WindowQuery):
    """Query of `GET /metrics/hotspots`."""

    limit: int = Field(default=100, ge=1, le=1000)


async def hotspots(request: Request) -> Response:
    """`GET /metrics/hotspots?days=30`: patterns by blocked claim attempts in the window."""
    ctx = context(request)
    query = validate_query(HotspotQuery, dict(request.query_params))
    repo = principal_of(request).repo_for(query.repo)
    ranked = (await ctx.hotspots.ranked(query.days, repo))[: query.limit]
    rows = [
        Hotspot(
            repo=spot.repo,
            pattern=spot.pattern,
            attempts=spot.attempts,
            distinct_attempters=spot.distinct_attempters,
            last_attempt=spot.last_attempt,
            suggested_action=spot.suggested_action,
        )
        for spot in ranked
    ]
    return model_response(HotspotList(hotspots=rows, days=query.days, count=len(rows)))


async def promote(request: Request) -> Response:
    """`POST /metrics/hotspots/promote`: write a shared_files entry or a split suggestion."""
    require_operator(request, "promoting a hotspot (it edits owners.yaml)")
    ctx = context(request)
    body = await read_model(request, PromoteRequest)
    changed, pattern = await ctx.hotspots.promote(body.action, body.pattern, body.note, body.repo)
    return model_response(PromoteResponse(changed=changed, action=body.action, pattern=pattern))


async def auto_resolutions(request: Request) -> Response:
    """`GET /metrics/auto-resolutions?days=30`: daily auto-coexist / auto-narrow per repo."""
    ctx = context(request)
    query = validate_query(WindowQuery, dict(request.query_params))
    series = [
        AutoResolutionDay(
            repo=day.repo,
            date=day.date,
            auto_coexist=day.auto_coexist,
            auto_narrow=day.auto_narrow,
        )
        for day in await ctx.hotspots.auto_resolutions(
            query.days, principal_of(request).repo_for(query.repo)
        )
    ]
    return model_response(AutoResolutionSeries(series=series, days=query.days, count=len(series)))


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/metrics/hotspots", hotspots, methods=["GET"]),
        Route("/metrics/hotspots/promote", promote, methods=["POST"]),
        Route("/metrics/auto-resolutions", auto_resolutions, methods=["GET"]),
    ]
