"""`/adherence/reports`, `/metrics/adherence`: how much work is done under valid claims (SPEC
§16: the push, CI, reconcile and shell checks report what they saw; the figures are per repo
and engineer over a window)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_engine.matching import is_repo_path
from coord_protocol.adherence import DEFAULT_WINDOW_DAYS, AdherenceReport
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth import principal_of
from coord_server.context import context
from coord_server.http import model_response, read_model, validate_query
from coord_server.routes._common import acting_engineer


class AdherenceQuery(BaseModel):
    """Query of `GET /metrics/adherence`."""

    days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=1, le=365)
    repo: str | None = None


async def report(request: Request) -> Response:
    """`POST /adherence/reports`: store what one check saw for one engineer in one repo."""
    body = await read_model(request, AdherenceReport)
    engineer = acting_engineer(request, body.engineer)
    repo = principal_of(request).repo_for(body.repo)
    _check_paths(body.undeclared)
    answer = await context(request).adherence.report(engineer, repo, body)
    return model_response(answer, 200)


async def figures(request: Request) -> Response:
    """`GET /metrics/adherence?days=7`: covered share, trailer share and undeclared edits."""
    query = validate_query(AdherenceQuery, dict(request.query_params))
    repo = principal_of(request).repo_for(query.repo)
    return model_response(await context(request).adherence.figures(query.days, repo))


def _check_paths(paths: Sequence[str]) -> None:
    for index, path in enumerate(paths):
        if not is_repo_path(path):
            raise CoordError(
                ErrorCode.VALIDATION_ERROR,
                f"invalid request: body.undeclared.{index}: {path!r} is not a repo-relative "
                "path (send it as `git status --porcelain` prints it, e.g. 'src/app.py': no "
                "leading '/', no '.' or '..' segment)",
                errors=[{"loc": ["body", "undeclared", index], "msg": "not a repo path",
                         "type": "value_error"}],
            )  # fmt: skip


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/adherence/reports", report, methods=["POST"]),
        Route("/metrics/adherence", figures, methods=["GET"]),
    ]
