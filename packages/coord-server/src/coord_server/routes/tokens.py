"""`/admin/tokens`: the operator creates, lists, rotates and revokes engineer tokens (SPEC §13)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coord_protocol.tokens import CreateTokenRequest, RevokeTokenResponse
from coord_server.auth import principal_of
from coord_server.context import AppContext, context
from coord_server.http import model_response, read_model

NO_STORE = {"Cache-Control": "no-store"}
"""An answer holding a secret is never kept by a cache on the way."""


def _operator(request: Request) -> AppContext:
    principal_of(request).require_operator("managing tokens")
    return context(request)


async def create_token(request: Request) -> Response:
    """`POST /admin/tokens`: a new token, its secret shown this once (201)."""
    ctx = _operator(request)
    body = await read_model(request, CreateTokenRequest)
    return model_response(await ctx.tokens.create(body), 201, NO_STORE)


async def list_tokens(request: Request) -> Response:
    """`GET /admin/tokens`: every token without its secret."""
    ctx = _operator(request)
    return model_response(await ctx.tokens.listing())


async def rotate_token(request: Request) -> Response:
    """`POST /admin/tokens/{token_id}/rotate`: a new secret; the old one stops working now."""
    ctx = _operator(request)
    created = await ctx.tokens.rotate(request.path_params["token_id"])
    return model_response(created, 200, NO_STORE)


async def revoke_token(request: Request) -> Response:
    """`DELETE /admin/tokens/{token_id}`: the token is refused from the next request on."""
    ctx = _operator(request)
    token_id = request.path_params["token_id"]
    revoked = await ctx.tokens.revoke(token_id)
    return model_response(RevokeTokenResponse(id=token_id, revoked=revoked))


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route("/admin/tokens", create_token, methods=["POST"]),
        Route("/admin/tokens", list_tokens, methods=["GET"]),
        Route("/admin/tokens/{token_id}/rotate", rotate_token, methods=["POST"]),
        Route("/admin/tokens/{token_id}", revoke_token, methods=["DELETE"]),
    ]
