"""The dashboard's chart geometry and time texts, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from coord_engine.hotspots import AutoResolutionDay, Hotspot
from coord_protocol.vocab import SuggestedAction
from coord_server.dashboard.charts import BAR_SPAN, heatmap, hotspot_bars
from coord_server.dashboard.times import relative, utc_text

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def spot(pattern: str, attempts: int) -> Hotspot:
    return Hotspot("acme/shop", pattern, attempts, 2, NOW, SuggestedAction.SPLIT)


def test_heatmap_has_a_cell_per_day_and_shades_the_busiest_darkest() -> None:
    series = [
        AutoResolutionDay("acme/shop", date(2026, 11, 24), 3, 1),
        AutoResolutionDay("acme/shop", date(2026, 11, 20), 1, 0),
        AutoResolutionDay(None, date(2026, 11, 23), 0, 2),
    ]
    grid = heatmap(series, date(2026, 11, 24), 30)
    assert [row.label for row in grid.rows] == ["(no repo)", "acme/shop"]
    shop = grid.rows[1].cells
    assert len(shop) == 30 and shop[0].day == date(2026, 10, 26) and shop[-1].day == NOW.date()
    assert shop[-1].shade == 4 and shop[-1].total == 4
    assert shop[-5].shade == 1
    assert {cell.shade for cell in shop[:-5]} == {0}


def test_empty_heatmap_keeps_a_drawable_size() -> None:
    grid = heatmap([], date(2026, 11, 24), 30)
    assert grid.rows == () and grid.height > 0 and grid.width > 0


def test_bars_scale_to_the_hottest_and_keep_the_order() -> None:
    chart = hotspot_bars([spot("a.ts", 10), spot("b.ts", 5), spot("c.ts", 1)])
    assert [bar.label for bar in chart.bars] == ["a.ts", "b.ts", "c.ts"]
    assert chart.bars[0].width == BAR_SPAN and chart.bars[1].width == BAR_SPAN // 2
    assert chart.bars[2].width >= 2  # a single attempt stays visible
    assert chart.bars[1].y > chart.bars[0].y


def test_bars_stop_at_the_limit() -> None:
    chart = hotspot_bars([spot(f"f{n}.ts", 20 - n) for n in range(15)], limit=10)
    assert len(chart.bars) == 10


def test_relative_times_and_their_absolute_utc() -> None:
    assert relative(NOW - timedelta(seconds=5), NOW) == "just now"
    assert relative(NOW - timedelta(minutes=5, seconds=30), NOW) == "5 min ago"
    assert relative(NOW + timedelta(hours=2, minutes=59), NOW) == "in 2 h"
    assert relative(NOW - timedelta(days=3), NOW) == "3 d ago"
    assert utc_text(NOW) == "2026-11-24 12:00:00 UTC"
