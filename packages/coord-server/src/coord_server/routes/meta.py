"""Service routes: liveness, readiness, metadata, metrics, identity, repos, OpenAPI."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from coord_protocol.adherence import DEFAULT_WINDOW_DAYS
from coord_protocol.service import AuthMode, Meta, Readiness, RepoList, WhoAmI
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response
from coord_server.openapi import openapi_document

logger = logging.getLogger("coord.readiness")


async def health(_request: Request) -> Response:
    """`GET /health`: the process answers."""
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """`GET /readyz`: ready when the database answers; 503 while it does not."""
    ctx = context(request)
    try:
        await ctx.overview.ping()
    except Exception:  # any database failure means "not ready", never a 500
        logger.warning("database unreachable", exc_info=True)
        answer = Readiness(status="unavailable", version=ctx.version, auth_mode=_mode(request))
        return model_response(answer, 503)
    return model_response(Readiness(status="ready", version=ctx.version, auth_mode=_mode(request)))


def _mode(request: Request) -> AuthMode:
    return context(request).settings.auth_mode


async def meta(request: Request) -> Response:
    """`GET /meta`: version and configuration a client may want to know."""
    ctx = context(request)
    settings = ctx.settings
    answer = Meta(
        version=ctx.version,
        auth_mode=settings.auth_mode,
        database=settings.database_backend,
        repo_root_configured=ctx.scope.configured,
        default_ttl_hours=settings.default_ttl_hours,
        shared_ttl_hours=settings.shared_ttl_hours,
        idle_timeout_sec=int(settings.idle_timeout_sec),
        replica=ctx.replica,
        leader=ctx.lease.leading,
    )
    return model_response(answer)


async def metrics(request: Request) -> Response:
    """`GET /metrics`: Prometheus text; the adherence gauges are read from the database now,
    so every replica shows the same figures."""
    ctx = context(request)
    ctx.metrics.show_adherence(await ctx.adherence.figures(DEFAULT_WINDOW_DAYS, None))
    body = ctx.metrics.render()
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


async def whoami(request: Request) -> Response:
    """`GET /whoami`: the identity behind the token."""
    ctx = context(request)
    found = principal_of(request)
    answer = WhoAmI(principal=found.kind, engineer=found.engineer, repo=found.repo,
                    read_only=found.read_only, expires_at=found.expires_at,
                    token_id=found.token_id, auth_mode=ctx.settings.auth_mode)  # fmt: skip
    return model_response(answer)


async def repos(request: Request) -> Response:
    """`GET /repos`: activity per repo bucket, busiest first."""
    listing = await context(request).overview.repos()
    principal = principal_of(request)
    if principal.repo is not None:  # a repo-scoped token sees its own repo only
        seen = [row for row in listing.repos if principal.sees(row.repo)]
        listing = RepoList(repos=seen, count=len(seen))
    return model_response(listing)


async def openapi(request: Request) -> Response:
    """`GET /openapi.json`: every route, described from the protocol models."""
    return JSONResponse(openapi_document(context(request).version))


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/health", health, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/meta", meta, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/whoami", whoami, methods=["GET"]),
        Route("/repos", repos, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
