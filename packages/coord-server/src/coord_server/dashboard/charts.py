"""The dashboard's charts as geometry: the templates draw it as inline SVG (SPEC §12).

Pure functions of the report rows, so the shapes are tested without a browser and the page
needs no script to show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from coord_engine.hotspots import AutoResolutionDay, Hotspot

CELL = 14
"""Side of one heatmap day, in SVG units."""
LABEL_WIDTH = 150
"""Room left of the cells and bars for the repo or pattern name."""
BAR_HEIGHT = 18
BAR_SPAN = 300
NO_REPO_LABEL = "(no repo)"


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One repo's auto-resolutions on one day."""

    x: int
    y: int
    day: date
    coexist: int
    narrow: int
    shade: int
    """0 (none) to 4 (the busiest day of the chart)."""

    @property
    def total(self) -> int:
        """Resolutions of the day."""
        return self.coexist + self.narrow


@dataclass(frozen=True, slots=True)
class HeatRow:
    """One repo's line of cells."""

    label: str
    y: int
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Days across, repos down."""

    rows: tuple[HeatRow, ...]
    first_day: date
    last_day: date
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Bar:
    """One hotspot's blocked attempts."""

    label: str
    y: int
    width: int
    attempts: int
    distinct: int


@dataclass(frozen=True, slots=True)
class BarChart:
    """Hotspots down, attempts across."""

    bars: tuple[Bar, ...]
    width: int
    height: int


def heatmap(series: Sequence[AutoResolutionDay], last_day: date, days: int) -> Heatmap:
    """The grid of `days` UTC days ending `last_day`, one row per repo that had resolutions."""
    first_day = last_day - timedelta(days=days - 1)
    by_repo: dict[str | None, dict[date, AutoResolutionDay]] = {}
    for day in series:
        by_repo.setdefault(day.repo, {})[day.date] = day
    busiest = max((d.auto_coexist + d.auto_narrow for d in series), default=0)
    rows = []
    for index, repo in enumerate(sorted(by_repo, key=lambda r: r or "")):
        y = index * (CELL + 2)
        days_of = by_repo[repo]
        cells = tuple(
            _cell(days_of.get(first_day + timedelta(days=n)), first_day + timedelta(days=n),
                  LABEL_WIDTH + n * (CELL + 2), y, busiest)
            for n in range(days)
        )  # fmt: skip
        rows.append(HeatRow(repo or NO_REPO_LABEL, y, cells))
    width = LABEL_WIDTH + days * (CELL + 2)
    return Heatmap(tuple(rows), first_day, last_day, width, max(1, len(rows)) * (CELL + 2))


def _cell(found: AutoResolutionDay | None, day: date, x: int, y: int, busiest: int) -> HeatCell:
    coexist = found.auto_coexist if found else 0
    narrow = found.auto_narrow if found else 0
    total = coexist + narrow
    shade = 0 if total == 0 or busiest == 0 else 1 + min(3, (total * 4 - 1) // busiest)
    return HeatCell(x, y, day, coexist, narrow, shade)


def hotspot_bars(hotspots: Sequence[Hotspot], limit: int = 10) -> BarChart:
    """The `limit` hottest patterns as bars scaled to the hottest."""
    top = list(hotspots[:limit])
    most = max((spot.attempts for spot in top), default=0)
    bars = tuple(
        Bar(spot.pattern, index * (BAR_HEIGHT + 4),
            max(2, round(BAR_SPAN * spot.attempts / most)) if most else 0,
            spot.attempts, spot.distinct_attempters)
        for index, spot in enumerate(top)
    )  # fmt: skip
    return BarChart(bars, LABEL_WIDTH + BAR_SPAN + 50, max(1, len(bars)) * (BAR_HEIGHT + 4))
