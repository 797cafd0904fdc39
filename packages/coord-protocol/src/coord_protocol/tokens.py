"""Per-engineer tokens: the operator's API to create, list, rotate and revoke them (SPEC §13)."""

from typing import Annotated, Literal

from pydantic import Field

from coord_protocol._base import Engineer, RepoId, UtcDatetime, WireModel

TOKEN_PREFIX = "coord_pat_"  # noqa: S105 - a public prefix, not a secret
"""Every per-engineer token starts with this, so secret scanners can recognise a leaked one."""

MAX_EXPIRY_SECONDS = 5 * 366 * 86400

TokenState = Literal["active", "expired", "revoked"]


class CreateTokenRequest(WireModel):
    """Body of `POST /admin/tokens`."""

    engineer: Engineer
    """Who the token acts as: that engineer and the names beneath it (`alex` covers `alex/...`)."""
    repo: RepoId | None = None
    """Bind the token to one repo: it reads and writes nothing else."""
    expires_in_seconds: Annotated[int, Field(ge=60, le=MAX_EXPIRY_SECONDS)] | None = None
    """Lifetime from now; omitted, the token lasts until it is revoked."""
    read_only: bool = False
    """A token for CI and pre-push checks: it can read, never change anything."""


class TokenInfo(WireModel):
    """One token as listings show it: never its secret."""

    id: str
    engineer: str
    repo: str | None = None
    read_only: bool
    created_at: UtcDatetime
    expires_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
    revoked_at: UtcDatetime | None = None
    state: TokenState


class TokenCreated(WireModel):
    """Answer of `POST /admin/tokens` and of a rotation: the only time the secret is shown."""

    id: str
    token: str
    """The secret, shown once: store it now (`coord init --token ...` writes it to local.env)."""
    engineer: str
    repo: str | None = None
    read_only: bool
    expires_at: UtcDatetime | None = None


class TokenList(WireModel):
    """Answer of `GET /admin/tokens`, newest first."""

    tokens: list[TokenInfo]
    count: int


class RevokeTokenResponse(WireModel):
    """Answer of `DELETE /admin/tokens/{id}`."""

    id: str
    revoked: bool
    """False when it was revoked already."""
