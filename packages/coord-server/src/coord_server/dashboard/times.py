"""How the dashboard writes a moment: relative to now for reading, absolute UTC for hovering."""

from __future__ import annotations

from datetime import UTC, datetime

_UNITS = ((86400, "d"), (3600, "h"), (60, "min"))


def utc_text(moment: datetime) -> str:
    """`2026-11-24 12:00:05 UTC`: the absolute time shown on hover."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime) -> str:
    """The machine-readable form for `<time datetime=...>`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def relative(moment: datetime, now: datetime) -> str:
    """`5 min ago`, `in 2 h`, `just now`: the largest whole unit of the distance."""
    seconds = (moment - now).total_seconds()
    distance = abs(seconds)
    if distance < 60:
        return "just now" if seconds <= 0 else "in under a minute"
    for size, unit in _UNITS:
        if distance >= size:
            amount = f"{int(distance // size)} {unit}"
            return f"in {amount}" if seconds > 0 else f"{amount} ago"
    raise AssertionError("unreachable: a distance of a minute or more has a unit")
