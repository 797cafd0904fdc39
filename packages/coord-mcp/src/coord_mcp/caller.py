"""Who is calling a tool, and how to reach the service: what every tool handler receives.

The stdio bridge has one caller for its whole life (one agent, one session). The server's
`/mcp` endpoint builds one per request from the request's headers and the principal the
service found for its token, so each remote caller acts with its own token and identity.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from coord_protocol.client import AsyncCoordClient
from coord_protocol.errors import CoordError


class Principal(Protocol):
    """What the service proved about the caller's token (SPEC §13), as the `/mcp` endpoint
    knows it: whom the token may act as."""

    @property
    def engineer(self) -> str | None:
        """The token's engineer; None for the operator, who may act as anyone."""
        ...  # pragma: no cover - a protocol

    def acting(self, named: str | None, field: str = "engineer") -> str | None:
        """`named` if the token may act as it (403 `CoordError` otherwise), else its engineer."""
        ...  # pragma: no cover - a protocol


@dataclass(slots=True)
class Identity:
    """Defaults a tool fills in when the agent does not name them."""

    session_id: str | None = None
    """Sent with every call; claims of one session never conflict with each other."""
    repo_id: str | None = None
    """Repository every claim and query is scoped to."""
    branch: str | None = None
    """Branch recorded on claims."""
    user: str | None = None
    """The configured engineer (`COORD_USER`), if any."""
    last_engineer: str | None = None
    """The engineer this caller last claimed or checked as: who files and answers requests."""
    principal: Principal | None = None
    """The token's principal, where the transport knows it (the service's `/mcp`). The identity
    is then the token's: no argument or header may name an engineer outside it."""
    user_source: str = "COORD_USER"
    """Where `user` came from, for refusals that name it."""

    def acting_engineer(self, explicit: str | None = None, field: str = "engineer") -> str | None:
        """The engineer for a call: the argument, else `user`, else the last one used, else the
        token's engineer. A 403 `CoordError` when the principal may not act as the one named."""
        named = self.named_engineer(explicit, field)
        if named is None and self.principal is not None:
            return self.principal.engineer
        return named

    def named_engineer(self, explicit: str | None = None, field: str = "engineer") -> str | None:
        """Like `acting_engineer` without the token's own engineer: None lets the service apply
        the token's whole namespace (`alex` and `alex/...`), where naming `alex` means only it."""
        if explicit:
            return self.allowed(explicit, field)
        if self.user:
            return self.allowed(self.user, self.user_source)
        return self.last_engineer

    def allowed(self, named: str | None, field: str = "engineer") -> str | None:
        """`named` itself, once the principal (if known) may act as it; None stays None, so the
        service applies its own default (the token's whole namespace)."""
        if not named or self.principal is None:
            return named or None
        try:
            return self.principal.acting(named, field)
        except CoordError as refusal:  # answered as the HTTP route answers it: 403 forbidden
            raise CoordError(refusal.code, refusal.detail, status=refusal.status) from None

    def remember(self, engineer: str) -> None:
        """Note the engineer an agent acts as, for tools that take no `engineer` argument."""
        self.last_engineer = engineer


@dataclass(frozen=True, slots=True)
class Hints:
    """What to tell an agent when the configuration, not the request, is at fault."""

    fix_auth: str
    """Next step when the service refuses the token (401)."""
    fix_unreachable: str
    """Next step when the service cannot be reached."""
    config_file: str | None = None
    """The file to edit to fix the configuration, when there is one."""
    fix_identity: str = (
        "coord-mcp does not know which engineer you are: call claim_files or check_conflicts "
        "with your engineer name first, or set COORD_USER."
    )
    """Next step when a tool without an `engineer` argument needs to know who acts."""


@dataclass(slots=True)
class Caller:
    """The typed client, the identity defaults and the hints for one tool call."""

    client: AsyncCoordClient
    """Client bound to the service, token and session."""
    identity: Identity
    """Defaults for session, repo, branch and engineer."""
    hints: Hints
    """Configuration advice for refusals."""
    repo_root: Path | None = None
    """Local checkout for symbol validation; None where there is no checkout (the server)."""
    validate_symbols: bool = False
    """Check symbol names against the local files before sending a claim."""


CallerSource = Callable[[object | None], AbstractAsyncContextManager[Caller]]
"""Gives the caller of one tool call, from the transport's request (None on stdio)."""
