"""The parts of the service's answers the hooks read, as small frozen views of plain JSON.

The field names and meanings are coord-protocol's (`Claim`, `ConflictingClaim`, `Conflict`,
`CreateClaimsResponse`); only what a hook prints or decides on is kept. A body that lacks a
field the hooks need is a `CoordError` naming the route, as the typed client reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.timestamps import as_utc
from coord_protocol.vocab import ScopeType

ViewT = TypeVar("ViewT")


@dataclass(frozen=True, slots=True)
class HeldClaim:
    """An active claim: a row of `GET /claims`, or the claim in the way of a conflict."""

    id: str
    """Opaque claim id."""
    engineer: str
    """Who holds it."""
    pattern: str
    """Canonical pattern held."""
    expires_at: datetime
    """When it stops blocking anyone unless extended (UTC)."""
    scope_type: ScopeType = ScopeType.FILE
    """`symbol` when the claim holds only named symbols."""
    symbols: tuple[str, ...] | None = None
    """Symbol paths held, or None for a whole-file claim."""
    description: str | None = None
    """What the holder said they are doing."""
    repo: str | None = None
    """Repository id, or None for the no-repo bucket."""
    shared: bool = False
    """True when the claim is cooperative."""


@dataclass(frozen=True, slots=True)
class Conflict:
    """One pair of requested pattern and the held claim whose scope overlaps it."""

    your_pattern: str
    """The requested pattern, canonical."""
    conflicting_claim: HeldClaim
    """The claim in the way."""


@dataclass(frozen=True, slots=True)
class ClaimAnswer:
    """Answer of `POST /claims`: ids when granted, conflicts when refused (409)."""

    claim_ids: tuple[str, ...]
    """Ids of the granted claims (empty on conflict)."""
    conflicts: tuple[Conflict, ...]
    """Every conflicting pair, once each."""


class MalformedAnswerError(ValueError):
    """A field the hooks need is missing or of the wrong type."""


def claims_of(body: Any) -> list[HeldClaim]:
    """The claims of a `GET /claims` answer."""
    return [held_claim(row) for row in _list(_object(body), "claims")]


def next_cursor_of(body: Any) -> str | None:
    """Where the next page of a list answer starts (None on the last page)."""
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def claim_answer(body: Any) -> ClaimAnswer:
    """A `POST /claims` answer."""
    fields = _object(body)
    ids = tuple(_string(item) for item in _as_list(fields.get("claim_ids") or []))
    return ClaimAnswer(ids, conflicts_of(fields))


def conflicts_of(body: Any) -> tuple[Conflict, ...]:
    """The conflicts of a `POST /claims` or `POST /conflicts/batch` answer."""
    fields = _object(body)
    return tuple(_conflict(item) for item in _as_list(fields.get("conflicts") or []))


def _conflict(item: Any) -> Conflict:
    fields = _object(item)
    return Conflict(_text(fields, "your_pattern"), held_claim(fields.get("conflicting_claim")))


def held_claim(row: Any) -> HeldClaim:
    """A claim row, or the `conflicting_claim` of a conflict."""
    fields = _object(row)
    symbols = fields.get("symbols")
    return HeldClaim(
        id=_text(fields, "id"),
        engineer=_text(fields, "engineer"),
        pattern=_text(fields, "pattern"),
        expires_at=_time(fields, "expires_at"),
        scope_type=ScopeType(fields.get("scope_type") or ScopeType.FILE),
        symbols=None if symbols is None else tuple(_string(s) for s in _as_list(symbols)),
        description=_optional_text(fields, "description"),
        repo=_optional_text(fields, "repo"),
        shared=fields.get("shared") is True,
    )


def checked(route: str, read: Callable[[Any], ViewT], body: Any) -> ViewT:
    """`read(body)`, with a malformed body reported as the typed client reports it."""
    try:
        return read(body)
    except ValueError as exc:  # MalformedAnswerError, a bad timestamp or an unknown scope type
        raise CoordError(
            ErrorCode.INTERNAL,
            f"{route} returned a body this client cannot read ({exc}); "
            "check that client and server versions agree (`coord doctor`).",
        ) from exc


def _object(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MalformedAnswerError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _list(fields: Mapping[str, Any], key: str) -> list[Any]:
    return _as_list(fields.get(key))


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedAnswerError(f"expected a JSON list, got {type(value).__name__}")
    return value


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str):
        raise MalformedAnswerError(f"{key!r} is not a string")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedAnswerError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_text(fields: Mapping[str, Any], key: str) -> str | None:
    return None if fields.get(key) is None else _text(fields, key)


def _time(fields: Mapping[str, Any], key: str) -> datetime:
    # The wire writes `2026-11-24T10:00:00Z`; fromisoformat reads the `Z` since Python 3.11.
    return as_utc(datetime.fromisoformat(_text(fields, key)))
