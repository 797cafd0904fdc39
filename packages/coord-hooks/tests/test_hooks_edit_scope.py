"""Locating an edit in its file, and naming the symbols it changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from coord_hooks._edit_scope import LineRange, edited_ranges, edited_symbols, engine_lookup

SOURCE = """import session


class Cart:
    def add(self, item):
        self.items.append(item)

    def total(self):
        return sum(self.items)


def checkout(cart):
    return cart.total()
"""


def test_an_edit_is_located_by_its_old_string() -> None:
    edit = {"old_string": "        return sum(self.items)\n", "new_string": "x"}

    assert edited_ranges(SOURCE, "Edit", edit) == [(9, 9)]


def test_replace_all_locates_every_occurrence() -> None:
    edit = {"old_string": "self.items", "new_string": "self.lines", "replace_all": True}

    assert edited_ranges(SOURCE, "Edit", edit) == [(6, 6), (9, 9)]


def test_a_multi_edit_needs_every_edit_found_in_the_file() -> None:
    found = {"edits": [{"old_string": "def add"}, {"old_string": "def checkout(cart):\n    r"}]}
    written_by_an_earlier_edit = {"edits": [{"old_string": "def add"}, {"old_string": "def new"}]}

    assert edited_ranges(SOURCE, "MultiEdit", found) == [(5, 5), (12, 13)]
    assert edited_ranges(SOURCE, "MultiEdit", written_by_an_earlier_edit) == []


@pytest.mark.parametrize(
    ("tool_name", "tool_input"),
    [
        ("Write", {"content": "x"}),
        ("Edit", {"old_string": ""}),
        ("Edit", {"old_string": "not in the file"}),
        ("MultiEdit", {"edits": "not a list of edits"}),
    ],
)
def test_edits_that_cannot_be_located(tool_name: str, tool_input: dict[str, object]) -> None:
    assert edited_ranges(SOURCE, tool_name, tool_input) == []


def test_a_lookup_maps_ranges_to_symbols(tmp_path: Path) -> None:
    (tmp_path / "cart.py").write_text(SOURCE, encoding="utf-8")
    seen: list[Sequence[LineRange]] = []

    def lookup(path: str, source: bytes, ranges: Sequence[LineRange]) -> list[str] | None:
        seen.append(ranges)
        return [f"{path}:{first}" for first, _ in ranges]

    edit = {"old_string": "def total"}

    assert edited_symbols(tmp_path, "cart.py", "Edit", edit, lookup) == ["cart.py:8"]
    assert edited_symbols(tmp_path, "cart.py", "Write", {}, lookup) is None
    assert edited_symbols(tmp_path, "missing.py", "Edit", edit, lookup) is None
    assert seen == [[(8, 8)]]


def test_coord_engine_names_the_enclosing_symbols(tmp_path: Path) -> None:
    lookup = engine_lookup()
    if lookup is None:
        pytest.skip("coord-engine is not installed beside coord-hooks")
    (tmp_path / "cart.py").write_text(SOURCE, encoding="utf-8")

    def symbols(old_string: str) -> list[str] | None:
        edit = {"old_string": old_string}
        return edited_symbols(tmp_path, "cart.py", "Edit", edit, lookup)

    assert symbols("        return sum(self.items)") == ["Cart::total"]
    assert symbols("def checkout(cart):") == ["checkout"]
    assert symbols("import session") is None  # module level: no symbol
    assert symbols("        return sum(self.items)\n\n\ndef checkout") is None  # spans two
