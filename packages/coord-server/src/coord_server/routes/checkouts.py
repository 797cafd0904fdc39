"""`/admin/checkouts`: the checkout the service reads for each repository (operators only)."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.checkouts import CheckoutList, RegisterCheckoutRequest
from coord_protocol.errors import CoordError, ErrorCode
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_model


def _operator(request: Request) -> AppContext:
    principal_of(request).require_operator("checkouts")
    return context(request)


async def list_checkouts(request: Request) -> Response:
    """`GET /admin/checkouts`: every checkout known, the default first."""
    return model_response(_listing(_operator(request)))


async def register(request: Request) -> Response:
    """`PUT /admin/checkouts`: register the checkout of one repo (local service, loopback only)."""
    ctx = _operator(request)
    if not _from_this_machine(request):
        raise CoordError(
            ErrorCode.FORBIDDEN,
            "a checkout can only be registered from the service's own machine, where its path "
            "means something; on a shared server set COORD_REPO_ROOTS=repo=path instead",
        )
    body = await read_model(request, RegisterCheckoutRequest)
    await ctx.scope.checkouts.register(body.repo, body.path)
    return model_response(_listing(ctx))


def _listing(ctx: AppContext) -> CheckoutList:
    known = [checkout.describe() for checkout in ctx.scope.checkouts.known()]
    return CheckoutList(checkouts=known, count=len(known))


def _from_this_machine(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/admin/checkouts", list_checkouts, methods=["GET"]),
        Route("/admin/checkouts", register, methods=["PUT"]),
    ]
