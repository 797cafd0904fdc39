"""Once a day, tell the user when the service runs a newer coord than this CLI.

The time of the last check is kept in COORD_HOME and written before asking, so an unreachable
service costs one short timeout a day, not one per command. `COORD_NO_UPDATE_CHECK` silences it.
The check never makes a command fail.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from coord_cli import __version__
from coord_cli._output import warn
from coord_cli.home import CoordHome, write_private
from coord_cli.install import INSTALL_FIX
from coord_cli.target import current_target

CHECK_INTERVAL = timedelta(hours=24)
"""How often the service's version is asked."""

TIMEOUT_SEC = 1.5
"""A slow service must not slow the command down noticeably."""

SILENCE_VARIABLE = "COORD_NO_UPDATE_CHECK"

logger = logging.getLogger("coord_cli.update_check")
_FALSY = frozenset({"", "0", "false", "no", "off"})
_NUMBERS = re.compile(r"\d+(?:\.\d+)*")


def notify_if_outdated() -> None:
    """Print the newer-version notice on stderr when due and deserved; never raises."""
    if os.environ.get(SILENCE_VARIABLE, "").strip().lower() not in _FALSY:
        return
    try:
        notice = check(CoordHome.from_env(os.environ), datetime.now(UTC), _service_version)
    except Exception:  # a boundary: a notice must never break the command it follows
        logger.debug("update check failed", exc_info=True)
        return
    if notice:
        warn(notice)


def check(
    home: CoordHome, now: datetime, service_version: Callable[[], tuple[str, str | None]]
) -> str | None:
    """The notice to print, if the check is due and the service is newer; records the check.

    `service_version` answers (service URL, its version or None).
    """
    if not is_due(home, now):
        return None
    home.ensure()
    write_private(home.update_check_file, json.dumps({"checked_at": now.isoformat()}) + "\n")
    url, seen = service_version()
    if not seen or not is_newer(seen, __version__):
        return None
    return (
        f"the coord service at {url} runs {seen}, newer than this coord {__version__}; "
        f"upgrade: {INSTALL_FIX} (silence this with {SILENCE_VARIABLE}=1)"
    )


def is_due(home: CoordHome, now: datetime) -> bool:
    """Whether the last check is more than a day old (or never happened)."""
    try:
        raw = json.loads(home.update_check_file.read_text(encoding="utf-8"))
        last = datetime.fromisoformat(str(raw["checked_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return True
    return not (timedelta(0) <= now - last < CHECK_INTERVAL)


def is_newer(candidate: str, current: str) -> bool:
    """Whether version `candidate` is numerically newer than `current` (`0.10.0` > `0.9.1`)."""
    return _numbers(candidate) > _numbers(current)


def _service_version() -> tuple[str, str | None]:
    url = current_target().api_url
    response = httpx.get(f"{url}/meta", timeout=TIMEOUT_SEC)
    body = response.json() if response.is_success else {}
    version = body.get("version") if isinstance(body, dict) else None
    return url, str(version) if version else None


def _numbers(version: str) -> tuple[int, ...]:
    found = _NUMBERS.match(version.strip().lstrip("vV"))
    parts = [int(part) for part in found.group().split(".")] if found else []
    while parts and parts[-1] == 0:  # 0.1 and 0.1.0 are the same release
        parts.pop()
    return tuple(parts)
