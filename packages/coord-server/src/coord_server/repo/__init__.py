"""Checkout awareness: what the service learns from the git checkout of each repository.

It offers, to the service layer:

- `Checkouts`: which checkout serves each repository (`COORD_REPO_ROOTS`, the default
  `COORD_REPO_ROOT`, registrations by `coord init --mode local`), and `register` for the last;
- `ScopeChecker`: per request, the scope limits (400 for a pattern covering too much), symbol
  validation (400 for a symbol the file does not declare), zero-match warnings and the tracked
  files behind an overlap (`ScopeReport`);
- `zero_match_warnings`, for `/conflicts`, which warns like a claim but refuses nothing.

Inside: `listing` runs `git ls-files` (through `coord_protocol.git`) and caches it,
`tracked` indexes one listing for pattern lookups, `limits` computes scope violations,
`symbols` parses claimed files, `registered` stores registrations. Matching a pattern against
a path is always the engine's (`coord_engine.matching`); nothing here decides a grant.
"""

from coord_server.repo.checkouts import Checkout, Checkouts, CheckoutSettings
from coord_server.repo.limits import ScopeViolation
from coord_server.repo.registered import RegisteredCheckouts
from coord_server.repo.scope import ScopeChecker, ScopeReport, zero_match_warnings
from coord_server.repo.tracked import TrackedFiles

__all__ = [
    "Checkout",
    "CheckoutSettings",
    "Checkouts",
    "RegisteredCheckouts",
    "ScopeChecker",
    "ScopeReport",
    "ScopeViolation",
    "TrackedFiles",
    "zero_match_warnings",
]
