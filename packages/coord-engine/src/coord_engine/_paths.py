"""What counts as a repo path: the only strings patterns are matched against."""

from __future__ import annotations

import re

# Linear for `re`: each segment is a run of non-`/` characters ended by `/` or the end, so no
# character can be read two ways.
_SEGMENT = r"(?!\.\.?(?:/|\Z))[^/\x00-\x1f\x7f-\x9f]+"
_REPO_PATH = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


def is_repo_path(path: str) -> bool:
    """True for a repo-relative path: non-empty segments joined by single `/`, no `.` or `..`
    segment, no leading or trailing `/`, no control character."""
    return _REPO_PATH.fullmatch(path) is not None
