"""Who is calling, and whose work they may touch (SPEC §13).

A `Principal` is what a token proves: the operator (may act as anyone), or one engineer E (may
act as E or `E/...`), optionally bound to one repo and optionally read-only. An `Actor` is what
one request acts as: the engineer it names (exactly that engineer's work), the engineer token's
own namespace when it names none, or, for the operator naming none, anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from coord_protocol.errors import CoordError, ErrorCode

PrincipalKind = Literal["operator", "engineer", "anonymous"]


def within(engineer: str, namespace: str) -> bool:
    """`engineer` is `namespace` itself or a name beneath it (`alex/claude/main` under `alex`)."""
    return engineer == namespace or engineer.startswith(namespace + "/")


def forbidden(detail: str) -> CoordError:
    """The 403 every refusal of this module raises."""
    return CoordError(ErrorCode.FORBIDDEN, detail)


@dataclass(frozen=True)
class Actor:
    """Whose claims, queue entries and sessions one request may touch."""

    engineer: str | None
    """The engineer acted as; None only for the operator naming nobody (anyone's work)."""
    exact: bool
    """Only `engineer` itself (it was named); otherwise also the names beneath it."""
    repo: str | None = None
    """The one repo the token may touch, if it is scoped to one."""

    def owns(self, engineer: str, repo: str | None) -> bool:
        """Whether work of `engineer` in `repo` is this actor's to change."""
        if self.repo is not None and (repo or None) != self.repo:
            return False
        if self.engineer is None:
            return True
        return engineer == self.engineer if self.exact else within(engineer, self.engineer)

    def check(self, what: str, engineer: str, repo: str | None) -> None:
        """403 naming the owner, unless `what` (held by `engineer` in `repo`) is ours."""
        if self.owns(engineer, repo):
            return
        if self.repo is not None and (repo or None) != self.repo:
            raise forbidden(
                f"{what} is in repo {repo or '(none)'!r}; this token may touch repo "
                f"{self.repo!r} only."
            )
        raise forbidden(
            f"{what} belongs to {engineer!r}, not {self.engineer!r}; only its owner (or the "
            "operator, naming no engineer) can change it."
        )


@dataclass(frozen=True)
class Principal:
    """The identity a request's token proves."""

    kind: PrincipalKind
    engineer: str | None = None
    repo: str | None = None
    read_only: bool = False
    token_id: str | None = None
    expires_at: datetime | None = None

    @property
    def is_operator(self) -> bool:
        """The operator token, or no authentication at all (insecure mode): may act as anyone."""
        return self.kind != "engineer"

    @property
    def key(self) -> str:
        """A stable name for keying per-caller state (idempotency), never the secret."""
        return f"token:{self.token_id}" if self.kind == "engineer" else self.kind

    def describe(self) -> str:
        """How refusals name this principal."""
        if self.kind != "engineer":
            return "the operator token" if self.kind == "operator" else "an unauthenticated caller"
        scope = f", repo {self.repo!r} only" if self.repo else ""
        mode = ", read-only" if self.read_only else ""
        return f"the token of engineer {self.engineer!r}{scope}{mode}"

    def acting(self, named: str | None, field: str = "engineer") -> str | None:
        """The engineer a request acts as: the one it names (if this principal may act as it),
        else the token's own engineer; None when the operator names nobody."""
        if named is None or named == "":
            return self.engineer
        if self.engineer is not None and not within(named, self.engineer):
            raise forbidden(
                f"{field} {named!r} is not yours: {self.describe()} may act as "
                f"{self.engineer!r} or {self.engineer + '/...'!r} only."
            )
        return named

    def actor(self, named: str | None, field: str = "engineer") -> Actor:
        """Whose work a request naming `named` (or nobody) may touch."""
        engineer = self.acting(named, field)
        return Actor(engineer=engineer, exact=bool(named), repo=self.repo)

    def repo_for(self, named: str | None, field: str = "repo") -> str | None:
        """The repo a request works in: the named one (if allowed), else a scoped token's own."""
        if self.repo is None or named is None or named == "":
            return named or self.repo
        if named != self.repo:
            raise forbidden(
                f"{field} {named!r} is outside {self.describe()}; it may use repo "
                f"{self.repo!r} only."
            )
        return named

    def session_owner(self, acting: str | None) -> str | None:
        """Who a session first used by this request belongs to: an engineer token's engineer,
        or the engineer the operator names (nobody when it names none)."""
        return self.engineer if self.kind == "engineer" else acting

    def check_session(self, session_id: str, owner: str | None, acting: str | None) -> None:
        """403 when the session belongs to someone else (SPEC §13: a session is its first
        principal's; only its owner gets the same-session exemption from conflicts)."""
        mine = self.session_owner(acting)
        if owner is None or mine is None:
            return
        if within(owner, mine) or (self.kind != "engineer" and within(mine, owner)):
            return
        raise forbidden(
            f"session {session_id!r} belongs to {owner!r}, not {mine!r}; use a session id of "
            "your own (any id nobody has used becomes yours)."
        )

    def sees(self, repo: str | None) -> bool:
        """Whether this principal may read what happens in `repo`."""
        return self.repo is None or (repo or None) == self.repo

    def check_repo(self, repo: str | None, what: str) -> None:
        """403 when `what` (in `repo`) is outside a repo-scoped token's repo."""
        if not self.sees(repo):
            raise forbidden(
                f"{what} is in repo {repo or '(none)'!r}, outside {self.describe()}; it may "
                f"use repo {self.repo!r} only."
            )

    def no_all_repos(self, all_repos: bool) -> None:
        """A repo-scoped token cannot ask across repos."""
        if all_repos and self.repo is not None:
            raise forbidden(f"all_repos is not allowed for {self.describe()}.")

    def require_operator(self, what: str) -> None:
        """403 unless this is the operator (or insecure mode, where everyone is)."""
        if not self.is_operator:
            raise forbidden(
                f"{what} is for operators only; {self.describe()} cannot use it. Call with the "
                "operator token (COORD_AUTH_TOKEN)."
            )


OPERATOR = Principal(kind="operator")
ANONYMOUS = Principal(kind="anonymous")
