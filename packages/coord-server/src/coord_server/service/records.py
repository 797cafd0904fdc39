"""A claim as the service holds it in memory, and its conversions to rows, engine and wire."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coord_engine.claims import ActiveClaim
from coord_protocol.claims import Claim
from coord_protocol.conflicts import ConflictingClaim
from coord_protocol.vocab import ClaimType, ScopeType, Severity
from coord_server.storage import Row, repo_key


def new_id(prefix: str) -> str:
    """An opaque, unguessable id such as `clm_3f9a...`."""
    return f"{prefix}_{os.urandom(10).hex()}"  # secrets.token_hex(10), without its layers


@dataclass(frozen=True, slots=True)
class GrantContext:
    """What a grant stores beside the decision: the claimant's own words, and its queue entry."""

    branch: str | None = None
    description: str | None = None
    queue_id: str | None = None


@dataclass(slots=True)
class ClaimRecord:
    """Every column of one claim; mutable only through the service, after its commit."""

    id: str
    repo: str | None
    engineer: str
    claim_type: ClaimType
    pattern: str
    symbols: tuple[str, ...] | None
    narrowable: bool
    shared: bool
    severity: Severity
    session_id: str | None
    fence: int
    created_at: datetime
    expires_at: datetime
    branch: str | None = None
    description: str | None = None
    coexists_with: list[str] = field(default_factory=list)
    last_activity: datetime | None = None
    released_at: datetime | None = None
    _active: ActiveClaim | None = field(default=None, init=False, repr=False, compare=False)

    def active(self) -> ActiveClaim:
        """The engine's view of this claim, built again only once a field it shows changed."""
        view = self._active
        if view is None or not self._shown_by(view):
            view = self._active = self._new_active()
        return view

    def _shown_by(self, view: ActiveClaim) -> bool:
        # Identity, not equality: every field is immutable, so a field still holding the very
        # object the view was built from has not changed. Claims are looked at on every
        # request touching their directory; most never change after their grant.
        return (
            view.pattern is self.pattern
            and view.expires_at is self.expires_at
            and view.shared is self.shared
            and view.severity is self.severity
            and view.symbols is self.symbols
            and view.narrowable is self.narrowable
            and view.description is self.description
            and view.session_id is self.session_id
            and view.claim_type is self.claim_type
            and view.engineer is self.engineer
            and view.repo is self.repo
            and view.id is self.id
        )

    def _new_active(self) -> ActiveClaim:
        return ActiveClaim(
            id=self.id,
            engineer=self.engineer,
            session_id=self.session_id,
            repo=self.repo,
            claim_type=self.claim_type,
            pattern=self.pattern,
            symbols=self.symbols,
            narrowable=self.narrowable,
            shared=self.shared,
            severity=self.severity,
            description=self.description,
            expires_at=self.expires_at,
        )

    @property
    def scope_type(self) -> ScopeType:
        """`symbol` when only named symbols are held."""
        return ScopeType.FILE if self.symbols is None else ScopeType.SYMBOL

    def to_wire(self, last_activity: datetime | None = None) -> Claim:
        """The claim row of the HTTP API."""
        return Claim(
            id=self.id,
            engineer=self.engineer,
            branch=self.branch,
            description=self.description,
            claim_type=self.claim_type,
            pattern=self.pattern,
            severity=self.severity,
            scope_type=self.scope_type,
            symbols=list(self.symbols) if self.symbols is not None else None,
            narrowable=self.narrowable,
            coexists_with=list(self.coexists_with),
            repo=self.repo,
            session_id=self.session_id,
            fence=self.fence,
            created_at=self.created_at,
            expires_at=self.expires_at,
            last_activity=last_activity or self.last_activity or self.created_at,
            released_at=self.released_at,
            shared=self.shared,
        )

    def to_conflicting(self) -> ConflictingClaim:
        """How this claim is shown to someone it blocks."""
        return ConflictingClaim(
            id=self.id,
            engineer=self.engineer,
            pattern=self.pattern,
            severity=self.severity,
            description=self.description,
            expires_at=self.expires_at,
            scope_type=self.scope_type,
            symbols=list(self.symbols) if self.symbols is not None else None,
            session_id=self.session_id,
        )

    def to_row(self) -> dict[str, Any]:
        """The database row."""
        return {
            "id": self.id,
            "repo": repo_key(self.repo),
            "engineer": self.engineer,
            "branch": self.branch,
            "description": self.description,
            "claim_type": str(self.claim_type),
            "pattern": self.pattern,
            "symbols": list(self.symbols) if self.symbols is not None else None,
            "narrowable": self.narrowable,
            "shared": self.shared,
            "severity": str(self.severity),
            "coexists_with": list(self.coexists_with),
            "session_id": self.session_id,
            "fence": self.fence,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "last_activity": self.last_activity,
            "released_at": self.released_at,
        }

    @classmethod
    def from_row(cls, row: Row) -> ClaimRecord:
        """Rebuild a record from its database row."""
        symbols = row["symbols"]
        return cls(
            id=row["id"],
            repo=row["repo"] or None,
            engineer=row["engineer"],
            claim_type=ClaimType(row["claim_type"]),
            pattern=row["pattern"],
            symbols=tuple(symbols) if symbols is not None else None,
            narrowable=bool(row["narrowable"]),
            shared=bool(row["shared"]),
            severity=Severity(row["severity"]),
            session_id=row["session_id"],
            fence=int(row["fence"]),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            branch=row["branch"],
            description=row["description"],
            coexists_with=list(row["coexists_with"] or []),
            last_activity=row["last_activity"],
            released_at=row["released_at"],
        )
