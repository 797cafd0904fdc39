"""Claims of other engineers on files being changed: the one question pre-push and CI ask."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from coord_hooks._client import MAX_BATCH_PATTERNS, check_conflicts
from coord_hooks._http import HookClient
from coord_hooks._identity import is_own
from coord_hooks._paths import anchored, unanchored
from coord_hooks._wire import Conflict


@dataclass(frozen=True, slots=True)
class Blocker:
    """A file being changed that another engineer's active claim covers."""

    file: str
    """Repo-relative path of the changed file."""
    holder: str
    """Engineer holding the claim."""
    claim_id: str
    """The claim's id, for `coord release` or a release request."""
    pattern: str
    """The pattern they claimed."""
    symbols: tuple[str, ...]
    """The symbols they hold when the claim is symbol-scoped; empty for a whole-file claim."""
    expires_at: datetime
    """When the claim stops blocking unless extended."""
    description: str | None
    """What the holder said they are doing."""

    @property
    def their_claim(self) -> str:
        """The claim as one short text: the pattern, and its symbols after a `#`."""
        return f"{self.pattern}#{','.join(self.symbols)}" if self.symbols else self.pattern


def find_blockers(
    client: HookClient, engineer: str, repo: str | None, files: Sequence[str]
) -> list[Blocker]:
    """Every claim of another engineer that overlaps one of `files`, sorted by file.

    One `POST /conflicts/batch` per 5000 files (the route's limit), usually exactly one.
    Claims of `engineer` or beneath it are the caller's own and never block.
    """
    found: dict[tuple[str, str], Blocker] = {}
    for start in range(0, len(files), MAX_BATCH_PATTERNS):
        chunk = files[start : start + MAX_BATCH_PATTERNS]
        patterns = [anchored(path) for path in chunk]
        for conflict in check_conflicts(client, patterns, engineer, repo):
            if not is_own(conflict.conflicting_claim.engineer, engineer):
                blocker = blocker_of(conflict)
                found[(blocker.file, blocker.claim_id)] = blocker
    return [found[key] for key in sorted(found)]


def blocker_of(conflict: Conflict) -> Blocker:
    """The `Blocker` a conflict of a file check describes."""
    held = conflict.conflicting_claim
    return Blocker(
        file=unanchored(conflict.your_pattern),
        holder=held.engineer,
        claim_id=held.id,
        pattern=held.pattern,
        symbols=tuple(held.symbols or ()),
        expires_at=held.expires_at,
        description=held.description,
    )
