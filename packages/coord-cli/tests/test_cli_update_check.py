"""The once-a-day newer-version notice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coord_cli import __version__
from coord_cli._update_check import check, is_due, is_newer
from coord_cli.home import CoordHome
from coord_cli.install import INSTALL_FIX

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("candidate", "current", "newer"),
    [
        ("0.2.0", "0.1.0", True),
        ("0.10.0", "0.9.9", True),
        ("0.1", "0.1.0", False),
        ("v1.0.0", "0.27.1", True),
        ("0.1.0", "0.1.0", False),
        ("0.1.0rc1", "0.1.0", False),
        ("unknown", "0.1.0", False),
    ],
)
def test_versions_compare_numerically(candidate: str, current: str, newer: bool) -> None:
    assert is_newer(candidate, current) is newer


def test_a_newer_service_is_announced_once_a_day(tmp_path: Path) -> None:
    home = CoordHome(tmp_path / "home")
    asked: list[str] = []

    def service() -> tuple[str, str | None]:
        asked.append("meta")
        return "http://coord.example", "99.0.0"

    notice = check(home, NOW, service)
    assert notice is not None
    assert notice.startswith("the coord service at http://coord.example runs 99.0.0, newer than")
    assert f"this coord {__version__}; upgrade: {INSTALL_FIX}" in notice
    assert "COORD_NO_UPDATE_CHECK=1" in notice
    assert check(home, NOW + timedelta(hours=23), service) is None
    assert asked == ["meta"]
    assert check(home, NOW + timedelta(hours=25), service) is not None
    assert asked == ["meta", "meta"]


def test_the_same_version_says_nothing(tmp_path: Path) -> None:
    home = CoordHome(tmp_path / "home")
    assert check(home, NOW, lambda: ("http://x", __version__)) is None
    assert json.loads(home.update_check_file.read_text())["checked_at"] == NOW.isoformat()


def test_an_unreadable_or_future_record_makes_the_check_due(tmp_path: Path) -> None:
    home = CoordHome(tmp_path)
    assert is_due(home, NOW)
    home.update_check_file.write_text("{not json")
    assert is_due(home, NOW)
    home.update_check_file.write_text(
        json.dumps({"checked_at": (NOW + timedelta(days=3)).isoformat()})
    )
    assert is_due(home, NOW)
