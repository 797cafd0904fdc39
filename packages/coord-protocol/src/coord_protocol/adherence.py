"""Adherence: how much of the work in a repo is done under valid claims (SPEC §16).

The push check, the CI check, `coord reconcile` and the shell hook report what they saw with
`POST /adherence/reports`; `GET /metrics/adherence?days=7` answers the figures per repo and
engineer. A commit is counted once however often it is checked (the newest report of it
stands), and an undeclared edit once per file and source, so running a check again never
moves a figure.
"""

from typing import Annotated

from pydantic import Field, model_validator

from coord_protocol._base import Engineer, RepoId, RequestModel, UtcDatetime, WireModel
from coord_protocol.vocab import AdherenceSource

MAX_REPORTED_COMMITS = 1000
"""Commits one report may carry: a longer push is sent in chunks."""

MAX_REPORTED_EDITS = 1000
"""Undeclared paths one report may carry."""

MAX_COMMIT_FILES = 1_000_000
"""Changed files one commit may count (a bound on the sums, not a real limit)."""

DEFAULT_WINDOW_DAYS = 7
"""The window of `GET /metrics/adherence` without `days`, of the gauges and of the alert."""

CommitSha = Annotated[str, Field(pattern=r"^[0-9a-f]{4,64}$", examples=["3f9a2c1d"])]
"""A commit id as git prints it (lowercase hex, abbreviated or whole)."""


class CommitReport(RequestModel):
    """One pushed commit, as the push or CI check judged it."""

    sha: CommitSha
    """The commit id; a commit reported again replaces its earlier figures."""
    files: Annotated[int, Field(ge=0, le=MAX_COMMIT_FILES)]
    """Files the commit changed."""
    covered: Annotated[int, Field(ge=0, le=MAX_COMMIT_FILES)]
    """Of those, the files covered by a valid claim (a `valid` or `covered` fence verdict)."""
    trailers: bool
    """Whether the commit carries at least one `Coord-Claim` trailer."""

    @model_validator(mode="after")
    def _covered_within_files(self) -> "CommitReport":
        if self.covered > self.files:
            raise ValueError(
                f"covered ({self.covered}) cannot exceed files ({self.files}): count each "
                "changed file once"
            )
        return self


class AdherenceReport(RequestModel):
    """Body of `POST /adherence/reports`: what one check saw for one engineer in one repo."""

    source: AdherenceSource
    """Who saw it: `pre_push` and `ci` report commits, `reconcile` and `shell_hook` paths."""
    repo: RepoId | None = None
    """Repository id; the no-repo bucket when absent."""
    engineer: Engineer | None = None
    """Whose work it is; defaults to the engineer of a per-engineer token."""
    commits: Annotated[list[CommitReport], Field(max_length=MAX_REPORTED_COMMITS)] = Field(
        default_factory=list
    )
    """Pushed commits (sources `pre_push` and `ci` only), at most 1000 per report."""
    undeclared: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=4096)]],
        Field(max_length=MAX_REPORTED_EDITS),
    ] = Field(default_factory=list)
    """Repo-relative paths edited without a claim of the engineer (sources `reconcile` and
    `shell_hook` only), at most 1000 per report. An empty list reports a clean check."""

    @model_validator(mode="after")
    def _fits_the_source(self) -> "AdherenceReport":
        if self.source.reports_commits and self.undeclared:
            raise ValueError(
                f"source {self.source.value!r} reports commits, not undeclared paths: send "
                "those with source 'reconcile' or 'shell_hook'"
            )
        if not self.source.reports_commits and self.commits:
            raise ValueError(
                f"source {self.source.value!r} reports undeclared paths, not commits: send "
                "those with source 'pre_push' or 'ci'"
            )
        return self


class AdherenceReportResponse(WireModel):
    """Answer of `POST /adherence/reports`."""

    repo: str | None = None
    """The repo the report was stored under."""
    engineer: str
    """The engineer it was stored under."""
    source: AdherenceSource
    """Who saw it."""
    commits: int = 0
    """Commits recorded (new or replacing an earlier report of the same commit)."""
    undeclared: int = 0
    """Distinct undeclared paths recorded."""


class AdherenceFigures(WireModel):
    """The figures of one repo, or of one engineer in it, over the window."""

    files: int = 0
    """Changed files in the pushed commits reported."""
    covered_files: int = 0
    """Of those, the files covered by a valid claim."""
    covered_share: float | None = None
    """`covered_files / files`; null when no file was reported."""
    commits: int = 0
    """Pushed commits reported."""
    commits_with_trailers: int = 0
    """Of those, the commits carrying a `Coord-Claim` trailer."""
    trailer_share: float | None = None
    """`commits_with_trailers / commits`; null when no commit was reported."""
    undeclared_edits: dict[str, int] = Field(default_factory=dict)
    """Distinct files edited without a claim, by the source that found them (`reconcile`,
    `shell_hook`); a source that found none is absent."""


class EngineerAdherence(AdherenceFigures):
    """One engineer's figures in one repo."""

    engineer: str
    """The engineer the reports named."""


class RepoAdherence(AdherenceFigures):
    """One repo's figures, with each engineer's."""

    repo: str | None = None
    """Repository id; null for the no-repo bucket."""
    below_alert: bool = False
    """The covered share is below `COORD_ADHERENCE_ALERT` (never when the alert is off)."""
    engineers: list[EngineerAdherence] = Field(default_factory=list)
    """Per engineer, by name."""


class AdherenceMetrics(WireModel):
    """Answer of `GET /metrics/adherence`."""

    days: int
    """The window, in days back from now."""
    since: UtcDatetime
    """Start of the window: commits first reported, and edits last seen, since then count."""
    alert_below: float
    """`COORD_ADHERENCE_ALERT`: the covered share under which `adherence_low` fires (0: off)."""
    repos: list[RepoAdherence] = Field(default_factory=list)
    """Per repo, by id."""
    count: int = 0
    """Number of repos listed."""
