"""UTC timestamps as the wire writes them; pure (no pydantic), so the engine may use it."""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already (every coord time is)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a `Z`, e.g. `2026-11-24T10:00:00Z`."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")
