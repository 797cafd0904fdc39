"""The `Coord-Claim` commit trailer: which claim, at which fence, a commit was made under.

`Coord-Claim: <claim id> fence=<n> repo=<repo>` in git's own trailer format, so `git
interpret-trailers --parse` and `git log --format=%(trailers)` read it. The trailer is a claim
of the committer, not a proof: the push and CI checks ask the service whether each one was
granted to the pusher, covers the file, and is still the newest grant for it (SPEC §16: a newer
overlapping grant to someone else fences the commit out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY = "Coord-Claim"
"""The trailer's key."""

NO_REPO = "-"
"""The `repo=` value of a claim in the no-repo bucket."""

_VALUE = re.compile(r"(?P<claim>\S{1,200}) fence=(?P<fence>\d{1,18}) repo=(?P<repo>\S{1,200})")


@dataclass(frozen=True, slots=True)
class Trailer:
    """One `Coord-Claim` trailer."""

    claim_id: str
    """The claim the commit was made under."""
    fence: int
    """The claim's fence when the commit was made."""
    repo: str | None
    """The claim's repo, or None for the no-repo bucket."""

    def value(self) -> str:
        """The trailer's value, as written after `Coord-Claim: `."""
        return f"{self.claim_id} fence={self.fence} repo={self.repo or NO_REPO}"

    def line(self) -> str:
        """The whole trailer line."""
        return f"{KEY}: {self.value()}"


def parse_value(value: str) -> Trailer | None:
    """The trailer a `Coord-Claim` value spells, or None when it is not one coord writes."""
    found = _VALUE.fullmatch(value.strip())
    if found is None:
        return None
    repo = found["repo"]
    return Trailer(found["claim"], int(found["fence"]), None if repo == NO_REPO else repo)
