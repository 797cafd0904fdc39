"""The values decisions are made from: held claims, requested items, and the policy.

These are plain frozen values with no behaviour of their own beyond a few derived properties; the
server builds them from its rows and settings, and `decide()` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coord_protocol.vocab import ClaimType, ScopeType, Severity

MAX_TTL_HOURS = 168.0
"""Longest lifetime a claim may ask for (SPEC §4.5)."""


@dataclass(frozen=True, slots=True)
class ActiveClaim:
    """A claim someone holds right now, as the engine needs to see it.

    `pattern` and `symbols` are canonical (they were normalised when the claim was granted).
    `shared` is true for a cooperative claim: a `shared_file`, or a claim whose pattern lies inside
    a `shared_files` entry (the server may recompute it against the current owners.yaml, so that a
    promoted file stops blocking at once).
    """

    id: str
    engineer: str
    session_id: str | None
    repo: str | None
    claim_type: ClaimType
    pattern: str
    symbols: tuple[str, ...] | None
    narrowable: bool
    shared: bool
    severity: Severity
    description: str | None
    expires_at: datetime

    @property
    def scope_type(self) -> ScopeType:
        """`symbol` when only named symbols are held, else `file`."""
        return ScopeType.FILE if self.symbols is None else ScopeType.SYMBOL

    @property
    def cooperative(self) -> bool:
        """True when this claim never blocks anyone (SPEC §4.4)."""
        return self.shared or self.claim_type is ClaimType.SHARED_FILE


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """One requested item: a pattern, optionally narrowed to symbols inside it.

    `narrowable=None` means the type's default: true for `file`, false otherwise.
    """

    type: ClaimType
    pattern: str
    symbols: tuple[str, ...] | None = None
    narrowable: bool | None = None

    @property
    def scope_type(self) -> ScopeType:
        """`symbol` when the item names symbols, else `file`."""
        return ScopeType.FILE if self.symbols is None else ScopeType.SYMBOL


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """A batch of items one engineer asks for at once (granted all together or not at all).

    `ttl_hours=None` means the policy's default; shared items always get the shared TTL.
    """

    engineer: str
    session_id: str | None
    repo: str | None
    items: tuple[ClaimItem, ...]
    ttl_hours: float | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """The settings and owners.yaml rules a decision depends on.

    `shared_patterns` are the canonical `shared_files` entries; `hard_patterns` are the canonical
    paths of every area whose severity is `hard`.
    """

    default_ttl_hours: float = 4.0
    shared_ttl_hours: float = 2.0
    shared_patterns: tuple[str, ...] = ()
    hard_patterns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How waiters are ordered (SPEC §6); each setting's zero turns that rule off.

    `age_boost_seconds`: after this long waiting an entry counts one urgency level higher.
    `decay_seconds`: the declared urgency drops one level per this many seconds waiting.
    `fairness_interval`: every n-th grant goes to the oldest waiter regardless of urgency.
    """

    age_boost_seconds: float = 60.0
    decay_seconds: float = 0.0
    fairness_interval: int = 0
