"""Who is calling a tool, and how to reach the service: what every tool handler receives.

The stdio bridge has one caller for its whole life (one agent, one session). The server's
`/mcp` endpoint builds one per request from the request's headers, so each remote caller acts
with its own token and identity.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from coord_protocol.client import AsyncCoordClient


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

    def acting_engineer(self, explicit: str | None = None) -> str | None:
        """The engineer for a call: the argument, else `COORD_USER`, else the last one used."""
        return explicit or self.user or self.last_engineer

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
