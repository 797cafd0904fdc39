"""Scope limits (SPEC §4.3): how much of the repository one pattern, or one batch, may claim.

Counts stop one past the limit they are checked against, so a pattern covering the whole of a
large repository costs no more to refuse than one a little over the limit; a violation therefore
reports "at least N files", which is all the refusal needs to say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from coord_server.repo.tracked import TrackedFiles

RATIO_MIN_TRACKED_FILES = 20
"""Below this many tracked files the ratio limit is not applied (one file is already 5%)."""

_LISTED_PATTERNS = 10
_RATIO_SLACK = 1e-9  # 0.29 * 100 is 28.999999999999996 in binary; 29 files are still 29%.

ViolationKind = Literal["files", "ratio", "batch_ratio"]


@dataclass(frozen=True, slots=True)
class ScopeViolation:
    """One scope limit a claim request breaks; the server answers 400 with `message`."""

    pattern: str
    """The offending pattern; for `batch_ratio`, the batch's patterns joined by `, `."""
    matched: int
    """Tracked files matched, counted up to one past the limit (so: at least this many)."""
    limit: int | float
    """The limit broken: a file count for `files`, a fraction of the repo for the ratios."""
    kind: ViolationKind
    """Which limit: files per pattern, ratio per pattern, or ratio of the whole batch."""
    message: str
    """What was refused and what to claim instead."""


def check_scope(
    tracked: TrackedFiles,
    patterns: Sequence[str],
    max_files: int,
    max_ratio: float,
    scoped: bool,
) -> list[ScopeViolation]:
    """Every scope limit `patterns` break, the per-pattern ones first.

    The ratio limits apply only to an unscoped view of at least `RATIO_MIN_TRACKED_FILES`
    files. A batch is reported as a whole only when none of its patterns alone breaks the ratio.
    """
    unique = list(dict.fromkeys(patterns))
    ratio_files = _ratio_files(tracked.total, max_ratio, scoped)
    violations = [
        violation
        for pattern in unique
        if (violation := _pattern_violation(tracked, pattern, max_files, max_ratio, ratio_files))
    ]
    if ratio_files is None or len(unique) < 2 or any(v.kind == "ratio" for v in violations):
        return violations
    matched = tracked.count_union(unique, ratio_files)
    if matched > ratio_files:
        violations.append(_batch_violation(unique, matched, max_ratio, tracked.total))
    return violations


def _ratio_files(total: int, max_ratio: float, scoped: bool) -> int | None:
    """Most files a pattern may match under the ratio limit; None when the ratio is off."""
    if scoped or total < RATIO_MIN_TRACKED_FILES:
        return None
    return math.floor(max_ratio * total + _RATIO_SLACK)


def _pattern_violation(
    tracked: TrackedFiles,
    pattern: str,
    max_files: int,
    max_ratio: float,
    ratio_files: int | None,
) -> ScopeViolation | None:
    cap = max_files if ratio_files is None else min(max_files, ratio_files)
    matched = tracked.count_matches(pattern, cap)
    if matched <= cap:
        return None
    if cap == max_files:
        message = (
            f"pattern {pattern!r} matches at least {matched} tracked files, more than the "
            f"limit of {max_files} files per pattern (COORD_MAX_CLAIM_FILES); "
            "claim narrower patterns, such as the files or subdirectories you will edit"
        )
        return ScopeViolation(pattern, matched, max_files, "files", message)
    message = (
        f"pattern {pattern!r} matches at least {matched} of the {tracked.total} tracked files, "
        f"more than the limit of {_percent(max_ratio)} of the repository per pattern "
        "(COORD_MAX_CLAIM_RATIO); claim narrower patterns, such as the files or "
        "subdirectories you will edit"
    )
    return ScopeViolation(pattern, matched, max_ratio, "ratio", message)


def _batch_violation(
    patterns: list[str], matched: int, max_ratio: float, total: int
) -> ScopeViolation:
    shown = ", ".join(patterns[:_LISTED_PATTERNS])
    if len(patterns) > _LISTED_PATTERNS:
        shown += f", and {len(patterns) - _LISTED_PATTERNS} more"
    message = (
        f"the {len(patterns)} patterns of this request together match at least {matched} of "
        f"the {total} tracked files, more than the limit of {_percent(max_ratio)} of the "
        "repository per request (COORD_MAX_CLAIM_RATIO); claim fewer files at once"
    )
    return ScopeViolation(shown, matched, max_ratio, "batch_ratio", message)


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.4g}%"
