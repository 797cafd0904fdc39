"""Symbol path parsing and overlap (SPEC §5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine.symbol_paths import (
    MAX_SYMBOL_DEPTH,
    MAX_SYMBOL_LENGTH,
    SymbolPathError,
    normalize_symbol_path,
    normalize_symbols,
    overlapping_symbols,
    parse_symbol_path,
    symbol_paths_overlap,
)


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("f", ("f",)),
        ("Router::handleAuth", ("Router", "handleAuth")),
        ("Outer::Inner::method", ("Outer", "Inner", "method")),
        ("Widget::#secret", ("Widget", "#secret")),
        ("Größe::änderung", ("Größe", "änderung")),
        ("__init__", ("__init__",)),
    ],
)
def test_valid_symbol_paths_split_into_parts(raw: str, parts: tuple[str, ...]) -> None:
    assert parse_symbol_path(raw) == parts
    assert normalize_symbol_path(raw) == raw


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "empty"),
        (" Router", "bad_character"),
        ("Router ::handleAuth", "bad_character"),
        ("a\tb", "bad_character"),
        ("a\x00b", "bad_character"),
        ("a\u200bb", "bad_character"),
        ("Router::", "empty_part"),
        ("::Router", "empty_part"),
        ("A::::B", "empty_part"),
        ("A:B", "stray_colon"),
        ("A:::B", "stray_colon"),
        ("x" * (MAX_SYMBOL_LENGTH + 1), "too_long"),
        ("::".join(["a"] * (MAX_SYMBOL_DEPTH + 1)), "too_deep"),
    ],
)
def test_invalid_symbol_paths_are_refused_naming_the_rule(raw: str, rule: str) -> None:
    with pytest.raises(SymbolPathError) as caught:
        parse_symbol_path(raw)
    assert caught.value.rule == rule
    assert caught.value.symbol == raw
    assert isinstance(caught.value, ValueError)
    if raw and rule != "too_long":
        assert repr(raw) in str(caught.value)


def test_longest_and_deepest_accepted_paths() -> None:
    assert parse_symbol_path("x" * MAX_SYMBOL_LENGTH) == ("x" * MAX_SYMBOL_LENGTH,)
    assert len(parse_symbol_path("::".join(["a"] * MAX_SYMBOL_DEPTH))) == MAX_SYMBOL_DEPTH


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Router", "Router", True),
        ("Router", "Router::handleAuth", True),
        ("Router::handleAuth", "Router", True),
        ("Router", "RouterX", False),
        ("Router", "RouterX::handleAuth", False),
        ("Router::handleAuth", "Router::handleLogout", False),
        ("Router::handle", "Router::handleAuth", False),
        ("Outer", "Outer::Inner::method", True),
        ("Outer::Inner", "Outer::Other::method", False),
        ("Outer::Inner", "Outer::Inner::method", True),
        ("a", "b", False),
    ],
)
def test_symbol_paths_overlap_by_whole_parts(a: str, b: str, expected: bool) -> None:
    assert symbol_paths_overlap(a, b) is expected


def test_overlapping_symbols_lists_the_deeper_path_of_each_pair_sorted() -> None:
    assert overlapping_symbols(["Router"], ["Router::handleAuth"]) == ("Router::handleAuth",)
    assert overlapping_symbols(["Router::b", "Router::a"], ["Router"]) == (
        "Router::a",
        "Router::b",
    )
    assert overlapping_symbols(["f", "g"], ["g", "h"]) == ("g",)
    assert overlapping_symbols(["Router::handleAuth"], ["Router::handleLogout"]) == ()
    assert overlapping_symbols([], ["f"]) == ()


def test_normalize_symbols_sorts_and_removes_duplicates() -> None:
    assert normalize_symbols(["b", "a::x", "b"]) == ("a::x", "b")
    with pytest.raises(SymbolPathError):
        normalize_symbols(["ok", "not ok"])


_parts = st.lists(st.sampled_from(["A", "B", "AB", "a_1"]), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_parts, _parts)
def test_overlap_agrees_with_a_prefix_test_on_parts(xs: list[str], ys: list[str]) -> None:
    a, b = "::".join(xs), "::".join(ys)
    shorter, longer = sorted((xs, ys), key=len)
    expected = longer[: len(shorter)] == shorter
    assert symbol_paths_overlap(a, b) is expected
    assert symbol_paths_overlap(b, a) is expected
    assert bool(overlapping_symbols([a], [b])) is expected
