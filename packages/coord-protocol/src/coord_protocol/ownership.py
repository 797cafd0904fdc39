"""Hotspots, promotion and auto-resolution metrics (SPEC §8)."""

import datetime as dt
from typing import Annotated

from pydantic import Field

from coord_protocol._base import RepoId, RequestModel, SafeText, UtcDatetime, WireModel
from coord_protocol.vocab import PromoteAction, SuggestedAction


class Hotspot(WireModel):
    """A file that keeps refusing claims."""

    repo: str | None
    """Repository bucket."""
    pattern: str
    """The contended pattern."""
    attempts: int
    """Blocked claim attempts in the window."""
    distinct_attempters: int
    """Different engineers among them."""
    last_attempt: UtcDatetime
    """The newest blocked attempt."""
    suggested_action: SuggestedAction
    """`split`, `shared_file` or `monitor`."""


class HotspotList(WireModel):
    """Answer of `GET /metrics/hotspots`."""

    hotspots: list[Hotspot]
    """Most contended first."""
    days: int
    """The window."""
    count: int
    """Number listed."""


class PromoteRequest(RequestModel):
    """Body of `POST /metrics/hotspots/promote`."""

    action: PromoteAction
    """`shared_file` writes a shared_files entry; `split` records a suggested split."""
    pattern: Annotated[str, Field(min_length=1, max_length=1024)]
    """The file or glob to promote."""
    note: Annotated[str, Field(max_length=500), SafeText] | None = None
    """Why, kept beside a split suggestion."""
    repo: RepoId | None = None
    """Repository the rule is for."""


class PromoteResponse(WireModel):
    """Answer of `POST /metrics/hotspots/promote`."""

    ok: bool = True
    """The call succeeded."""
    changed: bool
    """False when the rule was already there (the call is idempotent)."""
    action: PromoteAction
    """What was written."""
    pattern: str
    """Canonical pattern."""


class AutoResolutionDay(WireModel):
    """Auto-resolutions of one repo on one day."""

    repo: str | None
    """Repository bucket."""
    date: dt.date
    """UTC day."""
    auto_coexist: int
    """Symbol claims granted beside each other that day."""
    auto_narrow: int
    """File claims narrowed around symbol claims that day."""


class AutoResolutionSeries(WireModel):
    """Answer of `GET /metrics/auto-resolutions`."""

    series: list[AutoResolutionDay]
    """One row per repo and day."""
    days: int
    """The window."""
    count: int
    """Number of rows."""


class OwnershipSummary(WireModel):
    """Answer of `POST /config/ownership`: what the accepted document now means."""

    ok: bool = True
    """The document was accepted and is in force."""
    areas: int
    """Ownership areas defined."""
    hard_patterns: list[str]
    """Paths of the `hard` areas: claims overlapping them report `severity: hard`."""
    shared_files: list[str]
    """Canonical `shared_files` entries: claims inside them are cooperative."""
    suggested_splits: int
    """Entries under `suggested_splits`."""
    reclassified_claims: int
    """Active claims whose `shared` flag or `severity` changed with this document."""
