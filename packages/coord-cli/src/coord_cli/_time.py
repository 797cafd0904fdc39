"""Times as a person reads them (`in 3h 12m`, `2d 4h ago`) and writes them (`30d`, `90m`)."""

from __future__ import annotations

import re
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


_DURATION = re.compile(r"(\d+)\s*([dhms])")
DURATION_FORMS = "a number and a unit: 30d, 12h, 90m or 3600s"
"""What `parse_duration` accepts, for error messages."""


def parse_duration(text: str) -> int:
    """Seconds in `30d`, `12h`, `90m` or `3600s`; `ValueError` naming the accepted forms."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(f"{text!r} is not a duration; write {DURATION_FORMS}")
    return int(found.group(1)) * dict(_UNITS)[found.group(2)]
