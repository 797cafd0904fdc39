"""Times as a person reads them in a table: `in 3h 12m`, `2d 4h ago`."""

from __future__ import annotations

from datetime import datetime

_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def span(seconds: float) -> str:
    """A duration in its two largest units: `3h 12m`, `45s`, `2d 1h`."""
    remaining = int(abs(seconds))
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count or (unit == "s" and not parts):
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts)


def relative(moment: datetime | None, now: datetime) -> str:
    """`in 3h 12m` for a future moment, `5m ago` for a past one, `-` for none."""
    if moment is None:
        return "-"
    delta = (moment - now).total_seconds()
    return f"in {span(delta)}" if delta >= 0 else f"{span(delta)} ago"
