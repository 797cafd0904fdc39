"""Per-engineer tokens: made, checked, rotated and revoked against the database (SPEC §13).

A token is `coord_pat_` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored:
the secret has 256 bits of entropy, so a fast hash is as safe as a slow one and costs nothing
per request. Every request re-reads the row, so a revocation or an expiry takes effect on the
next request, on every replica.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.tokens import (
    TOKEN_PREFIX,
    CreateTokenRequest,
    TokenCreated,
    TokenInfo,
    TokenList,
    TokenState,
)
from coord_server.auth.principal import Principal
from coord_server.service.records import new_id
from coord_server.storage import Row, Store

LAST_USED_EVERY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token and replica (not once per request)."""


def new_secret() -> str:
    """A fresh token secret."""
    return TOKEN_PREFIX + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def secret_hash(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def state_of(row: Row, now: datetime) -> TokenState:
    """Whether a token works now."""
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


class TokenBook:
    """The operator's token commands, and the check behind every engineer request."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._used: dict[str, datetime] = {}

    async def create(self, body: CreateTokenRequest) -> TokenCreated:
        """A new token; its secret is in the answer and nowhere else."""
        now = self.clock()
        secret = new_secret()
        expires = None
        if body.expires_in_seconds is not None:
            expires = now + timedelta(seconds=body.expires_in_seconds)
        row = {"id": new_id("tok"), "token_hash": secret_hash(secret), "engineer": body.engineer,
               "repo": body.repo, "read_only": body.read_only, "created_at": now,
               "expires_at": expires, "last_used_at": None, "revoked_at": None}  # fmt: skip
        await self.store.tokens.add(row)
        return _created(row, secret)

    async def listing(self) -> TokenList:
        """Every token, newest first, without secrets."""
        now = self.clock()
        tokens = [_info(row, now) for row in await self.store.tokens.listing()]
        return TokenList(tokens=tokens, count=len(tokens))

    async def rotate(self, token_id: str) -> TokenCreated:
        """A new secret for a live token; the old one is refused from the next request on."""
        row = await self._live(token_id)
        secret = new_secret()
        if not await self.store.tokens.replace_secret(token_id, secret_hash(secret)):
            raise _not_found(token_id)
        return _created(row, secret)

    async def revoke(self, token_id: str) -> bool:
        """Revoke a token; False when it was revoked already."""
        if await self.store.tokens.get(token_id) is None:
            raise _not_found(token_id)
        return await self.store.tokens.revoke(token_id, self.clock())

    async def authenticate(self, presented: str) -> Principal | None:
        """The principal of a per-engineer token, or None when it is unknown, revoked or expired."""
        if not presented.startswith(TOKEN_PREFIX):
            return None
        digest = secret_hash(presented)
        row = await self.store.tokens.by_hash(digest)
        # The row was found by its hash; comparing again in constant time keeps timing from
        # saying anything even if the database's own comparison were to.
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            return None
        now = self.clock()
        if state_of(row, now) != "active":
            return None
        await self._note_use(row["id"], now)
        return Principal(kind="engineer", engineer=row["engineer"], repo=row["repo"],
                         read_only=row["read_only"], token_id=row["id"],
                         expires_at=row["expires_at"])  # fmt: skip

    async def _note_use(self, token_id: str, now: datetime) -> None:
        last = self._used.get(token_id)
        if last is None or now - last >= LAST_USED_EVERY:
            self._used[token_id] = now
            await self.store.tokens.used(token_id, now)

    async def _live(self, token_id: str) -> Row:
        row = await self.store.tokens.get(token_id)
        if row is None:
            raise _not_found(token_id)
        if row["revoked_at"] is not None:
            raise CoordError(
                ErrorCode.CONFLICT,
                f"token {token_id} is revoked; create a new one with `coord tokens create`.",
            )
        return row


def _created(row: Row, secret: str) -> TokenCreated:
    return TokenCreated(id=row["id"], token=secret, engineer=row["engineer"], repo=row["repo"],
                        read_only=row["read_only"], expires_at=row["expires_at"])  # fmt: skip


def _info(row: Row, now: datetime) -> TokenInfo:
    fields = {k: row[k] for k in TokenInfo.model_fields if k != "state"}
    return TokenInfo(**fields, state=state_of(row, now))


def _not_found(token_id: str) -> CoordError:
    return CoordError(
        ErrorCode.NOT_FOUND, f"no token {token_id!r}; list them with `coord tokens list`."
    )
