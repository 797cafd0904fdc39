"""Identity and authorization (SPEC §13): principals, per-engineer tokens, the request gate.

- `Principal` (what a token proves) and `Actor` (whose work one request may touch);
- `TokenBook`: the operator's token commands and the per-request token check;
- `Gate`: the ASGI middleware that authenticates and refuses read-only writes and form bodies;
- `principal_of(request)`: the principal a route acts for.
"""

from starlette.requests import Request

from coord_server.auth.gate import PUBLIC_PATHS, Gate
from coord_server.auth.principal import ANONYMOUS, OPERATOR, Actor, Principal, forbidden, within
from coord_server.auth.tokens import TokenBook, secret_hash


def principal_of(request: Request) -> Principal:
    """The principal the gate found for this request."""
    found = request.scope.get("coord.principal")
    if not isinstance(found, Principal):  # the gate wraps every route: this is a wiring bug
        raise RuntimeError("request reached a route without passing the auth gate")
    return found


__all__ = [
    "ANONYMOUS",
    "OPERATOR",
    "PUBLIC_PATHS",
    "Actor",
    "Gate",
    "Principal",
    "TokenBook",
    "forbidden",
    "principal_of",
    "secret_hash",
    "within",
]
