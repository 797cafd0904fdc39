"""Dashboard logins: server-side sessions and one-time login codes (SPEC §12, §13).

The browser holds a random session id and nothing else; the database holds its SHA-256 with
the principal it stands for and the session's CSRF token, so any replica can serve the next
request. A login code is the same kind of row with a short life: `coord start
--open-dashboard` asks for one with the operator token and opens a link carrying the code, not
the token; the first visit deletes the row and opens a session in its place.

A session made from an engineer token re-reads that token on every request: revoking the token
or letting it expire ends the browser's session too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from coord_server.auth import Principal
from coord_server.auth.tokens import state_of
from coord_server.storage import Row, Store

SESSION = "session"
LOGIN_CODE = "login_code"
LOGIN_CODE_LIFETIME = timedelta(seconds=60)
"""Long enough for a browser to start and open the link; the link is useless afterwards."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(presented: str, expected: str) -> bool:
    """Compare a presented CSRF token in constant time."""
    return hmac.compare_digest(presented.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class Login:
    """A live browser session."""

    session_id: str
    principal: Principal
    csrf_token: str
    expires_at: datetime


class DashboardSessions:
    """Opens, finds and ends browser sessions; issues and redeems login codes."""

    def __init__(self, store: Store, clock: Callable[[], datetime], lifetime: timedelta) -> None:
        self.store = store
        self.clock = clock
        self.lifetime = lifetime

    async def open(self, principal: Principal) -> Login:
        """A new session for `principal`."""
        session_id = secrets.token_urlsafe(32)
        row = await self._store(session_id, principal, SESSION, self.lifetime)
        return Login(session_id, principal, row["csrf_token"], row["expires_at"])

    async def login_code(self, principal: Principal) -> tuple[str, datetime]:
        """A one-time code that opens a session for `principal`; and when it stops working."""
        code = secrets.token_urlsafe(32)
        row = await self._store(code, principal, LOGIN_CODE, LOGIN_CODE_LIFETIME)
        return code, row["expires_at"]

    async def redeem(self, code: str) -> Login | None:
        """Trade a login code for a session; None when it is unknown, used or expired."""
        row = await self.store.dashboard.take(_digest(code), LOGIN_CODE, self.clock())
        if row is None:
            return None
        principal = await self._principal(row)
        return None if principal is None else await self.open(principal)

    async def find(self, session_id: str) -> Login | None:
        """The live session behind a cookie's id, if any."""
        row = await self.store.dashboard.get(_digest(session_id), SESSION, self.clock())
        if row is None:
            return None
        principal = await self._principal(row)
        if principal is None:
            return None
        return Login(session_id, principal, row["csrf_token"], row["expires_at"])

    async def close(self, session_id: str) -> bool:
        """End a session (logout); False when it was gone already."""
        return await self.store.dashboard.remove(_digest(session_id))

    async def _store(
        self, secret: str, principal: Principal, purpose: str, lifetime: timedelta
    ) -> Row:
        now = self.clock()
        row = {"id_hash": _digest(secret), "purpose": purpose,
               "principal_kind": principal.kind, "engineer": principal.engineer,
               "repo": principal.repo, "read_only": principal.read_only,
               "token_id": principal.token_id, "csrf_token": secrets.token_urlsafe(32),
               "created_at": now, "expires_at": now + lifetime}  # fmt: skip
        await self.store.dashboard.add(row)
        return row

    async def _principal(self, row: Row) -> Principal | None:
        if row["principal_kind"] != "engineer":
            return Principal(kind=row["principal_kind"])
        token = await self.store.tokens.get(row["token_id"])
        if token is None or state_of(token, self.clock()) != "active":
            return None
        # The token's row, not the session's copy: a scope is never widened by an old session.
        return Principal(kind="engineer", engineer=token["engineer"], repo=token["repo"],
                         read_only=token["read_only"], token_id=token["id"],
                         expires_at=token["expires_at"])  # fmt: skip
