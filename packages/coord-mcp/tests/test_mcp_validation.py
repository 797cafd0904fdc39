"""Local symbol validation: unknown symbols are refused before any HTTP call."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord_mcp.validation import check_symbols, unknown_symbols

SOURCE = """\
def handle_login(request):
    return request


class Router:
    def handle_auth(self):
        pass

    def handle_logout(self):
        pass
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    symbols = pytest.importorskip("coord_engine.symbols", reason="the `validate` extra is missing")
    if symbols.supported_language("x.py") is None:
        pytest.skip("the Python grammar of the `validate` extra is not installed")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "auth.py").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def test_known_symbols_pass(repo: Path) -> None:
    names = ["handle_login", "Router", "Router::handle_auth"]
    assert check_symbols(repo, {"src/auth.py": names}) is None


def test_an_unknown_symbol_is_refused_naming_the_ones_that_exist(repo: Path) -> None:
    outcome = check_symbols(repo, {"src/auth.py": ["Router::handle_auht", "handle_login"]})
    assert outcome is not None
    assert not outcome.ok
    assert outcome.refusal is not None
    assert outcome.refusal.code == "invalid_symbol"
    assert "Router::handle_auht" in outcome.refusal.detail
    assert "handle_login" not in outcome.refusal.detail.split("declares no")[1]
    known = outcome.refusal.known_symbols["src/auth.py"]
    assert known[0] == "Router::handle_auth"  # the closest first
    assert set(known) == {"handle_login", "Router", "Router::handle_auth", "Router::handle_logout"}


def test_paths_are_normalised_like_claim_patterns(repo: Path) -> None:
    assert unknown_symbols(repo, {"./src/auth.py": ["nope"]}) != {}


@pytest.mark.parametrize(
    "path",
    ["src/*.py", "src/missing.py", "../outside.py", "src/data.unknownext", ""],
)
def test_what_cannot_be_checked_here_is_left_to_the_service(repo: Path, path: str) -> None:
    (repo / "src" / "data.unknownext").write_text("whatever", encoding="utf-8")
    assert unknown_symbols(repo, {path: ["nope"]}) == {}
