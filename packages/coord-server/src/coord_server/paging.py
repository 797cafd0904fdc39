"""Pages of a list answer: `total` says how many rows match, `next_cursor` where the next page
starts, so no list is ever cut short without saying so.

Lists are newest first (`created_at`, then `id`, both descending). A cursor is the sort key of
the last row a page listed: the next page starts strictly after it, so a row created or ended
between two calls neither repeats a row nor hides one that was there all along.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Table, and_, or_

from coord_protocol.errors import CoordError, ErrorCode

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Cursor:
    """Where a page ended: the sort key of its last row."""

    created_at: datetime
    id: str

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> Cursor | None:
    """The cursor a client sent back; 422 naming the fix when it is not one of ours."""
    if not raw:
        return None
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        created_at, row_id = json.loads(text)
        return Cursor(datetime.fromisoformat(created_at), str(row_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise CoordError(
            ErrorCode.VALIDATION_ERROR,
            "invalid request: query.cursor: not a cursor this service issued; pass the "
            "`next_cursor` of the previous page unchanged, or leave it out for the first page.",
            errors=[{"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}],
        ) from None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows, how many match in all, and where the next page starts."""

    rows: list[T]
    total: int
    next_cursor: str | None


def page_of(
    rows: Sequence[T], key: Callable[[T], Cursor], cursor: Cursor | None, limit: int
) -> Page[T]:
    """A page of rows already held in memory (any order: they are sorted here)."""
    ordered = sorted(rows, key=key, reverse=True)
    after = [row for row in ordered if cursor is None or key(row) < cursor]
    shown = after[:limit]
    more = len(after) > limit
    return Page(shown, len(ordered), key(shown[-1]).encode() if more and shown else None)


def after_cursor(table: Table, cursor: Cursor | None) -> ColumnElement[bool]:
    """SQL for "sorts after `cursor`" in newest-first order (true when there is none)."""
    if cursor is None:
        return and_(True)
    created, row_id = table.c.created_at, table.c.id
    return or_(created < cursor.created_at, and_(created == cursor.created_at, row_id < cursor.id))
