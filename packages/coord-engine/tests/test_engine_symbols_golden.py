"""Every fixture under fixtures/symbols/ extracts exactly the symbols listed in its .golden file."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord_engine.symbols import SymbolTable, extract_symbols
from coord_engine.symbols._grammars import GRAMMARS, language_for_path

FIXTURES = Path(__file__).parent / "fixtures" / "symbols"
CORE_LANGUAGES = frozenset({"python", "typescript", "tsx", "javascript", "go", "rust", "java"})
"""Shipped with the [symbols] extra: their tests never skip."""

FIXTURE_FILES = sorted(path for path in FIXTURES.iterdir() if path.suffix != ".golden")


def extract_fixture(fixture: Path) -> SymbolTable:
    """The fixture's table; skips when an optional grammar wheel is not installed."""
    language = language_for_path(fixture.name)
    assert language is not None, f"{fixture.name} has no language; rename the fixture"
    if language not in CORE_LANGUAGES:
        module = GRAMMARS[language].module
        pytest.importorskip(module, reason=f"{language}: grammar wheel {module} not installed")
    table = extract_symbols(fixture.name, fixture.read_bytes())
    assert table is not None, f"{language} grammar failed to load with this tree-sitter"
    return table


def read_golden(fixture: Path) -> list[tuple[str, str, int, int]]:
    """The expected (path, kind, start, end) rows written next to the fixture."""
    golden = fixture.with_name(fixture.name + ".golden")
    rows = []
    for line in golden.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, kind, start, end = line.split()
            rows.append((path, kind, int(start), int(end)))
    return rows


def test_engine_symbols_every_fixture_has_a_golden() -> None:
    assert len(FIXTURE_FILES) >= 15
    for fixture in FIXTURE_FILES:
        assert fixture.with_name(fixture.name + ".golden").is_file(), fixture.name


def test_engine_symbols_fixtures_cover_every_language() -> None:
    assert {language_for_path(fixture.name) for fixture in FIXTURE_FILES} == set(GRAMMARS)


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda path: path.name)
def test_engine_symbols_fixture_matches_golden(fixture: Path) -> None:
    table = extract_fixture(fixture)
    extracted = [
        (symbol.path, symbol.kind, symbol.start_line, symbol.end_line) for symbol in table.symbols
    ]
    assert extracted == read_golden(fixture)
