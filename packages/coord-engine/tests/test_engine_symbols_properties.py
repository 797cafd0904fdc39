"""Extraction on any input: never raises, spans fit the file, parents hold their children.

Inputs are arbitrary bytes, and the fixtures cut short and spliced with arbitrary bytes, which
reach far more of each grammar's error recovery than random bytes alone.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine.symbol_paths import MAX_SYMBOL_DEPTH, MAX_SYMBOL_LENGTH, normalize_symbol_path
from coord_engine.symbols import SymbolTable, available_languages, extract_symbols
from coord_engine.symbols._grammars import language_for_path

FIXTURES = Path(__file__).parent / "fixtures" / "symbols"
SOURCES = {
    path.name: path.read_bytes()
    for path in sorted(FIXTURES.iterdir())
    if path.suffix != ".golden" and language_for_path(path.name) in available_languages()
}

DETACHED_KINDS: dict[str, frozenset[str]] = {
    "go": frozenset({"method"}),
    "cpp": frozenset({"function", "method", "constructor"}),
    "ruby": frozenset({"class", "module"}),
    "swift": frozenset({"extension"}),
    "typescript": frozenset({"namespace"}),
    "tsx": frozenset({"namespace"}),
}
"""Kinds whose parent need not enclose them: Go receivers, C++ `void A::f() {}` definitions,
Ruby `class A::B`, Swift `extension A.B`, TypeScript `namespace A.B`."""

arbitrary_bytes = st.binary(max_size=2_000)
source_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
TOKENS = [*"{}()[];:.,<>=@#*&~\n\t ", "::", "\n    ", "class ", "def ", "fn ", "func ", "impl "]
TOKENS += ["struct ", "namespace ", "module ", "extension ", "interface ", "end\n", "export "]
TOKENS += ["template <typename T> ", "#[test]\n", "@dec\n", "A", "B", "f", "Outer", "self"]
code_soup = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)
"""Declaration keywords and punctuation: breaks and builds nesting far more often than noise."""


def assert_well_formed(table: SymbolTable, source: bytes) -> None:
    """Spans inside the file, in order, paths without empty segments, parents around children."""
    line_count = source.count(b"\n") + 1
    for symbol in table.symbols:
        assert 1 <= symbol.start_line <= symbol.end_line <= line_count, symbol
        assert_claimable(symbol.path)
    starts = [symbol.start_line for symbol in table.symbols]
    assert starts == sorted(starts)
    assert_parents_contain_children(table)


def assert_claimable(path: str) -> None:
    """An extracted path is a canonical symbol path, unless only its size is out of bounds."""
    if len(path) <= MAX_SYMBOL_LENGTH and path.count("::") < MAX_SYMBOL_DEPTH:
        assert normalize_symbol_path(path) == path


def assert_parents_contain_children(table: SymbolTable) -> None:
    """Each nested symbol lies inside one occurrence of its parent, when the file declares it."""
    detached = DETACHED_KINDS.get(table.language, frozenset())
    for symbol in table.symbols:
        if symbol.parent is None or symbol.kind in detached:
            continue
        parents = table.occurrences(symbol.parent)
        assert not parents or any(
            parent.contains(symbol.start_line, symbol.end_line) for parent in parents
        ), symbol


def test_engine_symbols_fixtures_are_well_formed() -> None:
    assert len(SOURCES) >= 7
    for name, source in SOURCES.items():
        table = extract_symbols(name, source)
        assert table is not None
        assert_well_formed(table, source)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(SOURCES)), source=arbitrary_bytes | code_soup.map(str.encode))
def test_engine_symbols_arbitrary_bytes_never_raise(name: str, source: bytes) -> None:
    table = extract_symbols(name, source)
    assert table is not None
    assert_well_formed(table, source)


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(sorted(SOURCES)),
    cut=st.floats(min_value=0, max_value=1),
    keep=st.floats(min_value=0, max_value=1),
    splice=arbitrary_bytes | source_text.map(str.encode) | code_soup.map(str.encode),
)
def test_engine_symbols_damaged_fixtures_stay_well_formed(
    name: str, cut: float, keep: float, splice: bytes
) -> None:
    original = SOURCES[name]
    start = int(len(original) * cut)
    resume = start + int((len(original) - start) * keep)
    source = original[:start] + splice + original[resume:]
    table = extract_symbols(name, source)
    assert table is not None
    assert_well_formed(table, source)


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(SOURCES)), cut=st.integers(min_value=0))
def test_engine_symbols_truncated_fixtures_stay_well_formed(name: str, cut: int) -> None:
    original = SOURCES[name]
    cut %= len(original) + 1
    table = extract_symbols(name, original[:cut])
    assert table is not None
    assert_well_formed(table, original[:cut])
