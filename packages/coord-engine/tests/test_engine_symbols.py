"""Symbol extraction: what counts per language, lookups, validation, hints and the cache."""

from __future__ import annotations

import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from coord_engine.symbols import (
    HINT_LIMIT,
    Symbol,
    SymbolCache,
    SymbolTable,
    available_languages,
    enclosing_symbol,
    extract_symbols,
    supported_language,
    symbol_hint,
    validate_symbols,
)
from coord_engine.symbols._grammars import GRAMMARS, Grammar, load_language

FIXTURES = Path(__file__).parent / "fixtures" / "symbols"


def fixture_table(name: str) -> SymbolTable:
    table = extract_symbols(name, (FIXTURES / name).read_bytes())
    assert table is not None
    return table


def table_of(path: str, source: str) -> SymbolTable:
    table = extract_symbols(path, source.encode())
    assert table is not None
    return table


@pytest.fixture
def fresh_grammars() -> Iterator[None]:
    """Forget loaded grammars before and after, for tests that hide one."""
    load_language.cache_clear()
    yield
    load_language.cache_clear()


# -- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app/models.py", "python"),
        ("stubs/models.pyi", "python"),
        ("web/router.ts", "typescript"),
        ("types/index.d.ts", "typescript"),
        ("web/App.tsx", "tsx"),
        ("web/app.jsx", "javascript"),
        ("web/app.mjs", "javascript"),
        ("cmd/server.go", "go"),
        ("src/lib.rs", "rust"),
        ("src/Main.java", "java"),
        ("LEGACY/MODELS.PY", "python"),
        ("C:\\work\\tool.py", "python"),
    ],
)
def test_engine_symbols_supported_language_by_extension(path: str, language: str) -> None:
    assert supported_language(path) == language


@pytest.mark.parametrize("path", ["Makefile", "README.md", "notes.txt", ".py", "dir.py/Makefile"])
def test_engine_symbols_unsupported_paths_have_no_table(path: str) -> None:
    assert supported_language(path) is None
    assert extract_symbols(path, b"def f(): pass\n") is None


def test_engine_symbols_core_languages_are_always_available() -> None:
    core = {"python", "typescript", "tsx", "javascript", "go", "rust", "java"}
    assert core <= set(available_languages())


def test_engine_symbols_without_tree_sitter_nothing_is_supported(
    monkeypatch: pytest.MonkeyPatch, fresh_grammars: None
) -> None:
    monkeypatch.setitem(sys.modules, "tree_sitter", None)
    assert supported_language("models.py") is None
    assert extract_symbols("models.py", b"class A: pass\n") is None
    assert available_languages() == ()


def test_engine_symbols_missing_grammar_wheel_means_unsupported(
    monkeypatch: pytest.MonkeyPatch, fresh_grammars: None
) -> None:
    missing = Grammar("tree_sitter_not_installed", "language", GRAMMARS["go"].rules)
    monkeypatch.setitem(GRAMMARS, "go", missing)
    assert supported_language("server.go") is None
    assert extract_symbols("server.go", b"package main\nfunc main() {}\n") is None
    assert supported_language("models.py") == "python"


def test_engine_symbols_import_loads_no_parser_and_no_io_modules() -> None:
    probe = (
        "import sys, coord_engine.symbols\n"
        "watched = ('tree_sitter', 'socket', 'subprocess', 'sqlite3', 'asyncio')\n"
        "print(sorted(name for name in watched if name in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


# -- what counts as a symbol ------------------------------------------------------------------


def test_engine_symbols_typescript_methods_are_disjoint_children_of_their_class() -> None:
    table = fixture_table("router.ts")
    assert {"Router", "Router::handleAuth", "Router::handleLogout"} <= set(table.paths)
    assert "Outer::Inner::method" in table.paths


def test_engine_symbols_python_nested_classes_at_any_depth() -> None:
    table = fixture_table("models.py")
    assert "Outer::Inner::method" in table.paths
    assert "Outer::Inner::Deeper::run" in table.paths


def test_engine_symbols_python_decorators_belong_to_the_span() -> None:
    table = fixture_table("models.py")
    (outer,) = table.occurrences("Outer")
    assert (outer.start_line, outer.end_line) == (13, 52)


def test_engine_symbols_local_definitions_are_not_symbols() -> None:
    python = fixture_table("models.py")
    assert not any(path.endswith(("::helper", "::Local")) for path in python.paths)
    java = fixture_table("Outer.java")
    assert not any(path.endswith("::run") for path in java.paths)


def test_engine_symbols_overloads_share_one_path_listed_once() -> None:
    table = fixture_table("router.ts")
    assert table.paths.count("Router::route") == 1
    assert len(table.occurrences("Router::route")) == 3
    java = fixture_table("Outer.java")
    assert java.paths.count("Outer::add") == 1
    assert [symbol.kind for symbol in java.occurrences("Outer::Outer")] == ["constructor"] * 2


def test_engine_symbols_typescript_function_constants_count_exported_or_not() -> None:
    table = fixture_table("router.ts")
    assert {"handler", "localHelper", "Memoized"} <= set(table.paths)
    assert "settings" not in table.paths  # an object literal is data, not a function


def test_engine_symbols_go_methods_sit_under_their_receiver() -> None:
    table = fixture_table("server.go")
    assert {"Server::Start", "Server::Addr", "Stack::Push", "Listener::Close"} <= set(table.paths)
    assert [symbol.kind for symbol in table.occurrences("Server::Start")] == ["method"]


def test_engine_symbols_rust_impl_blocks_are_occurrences_of_their_type() -> None:
    table = fixture_table("geometry.rs")
    assert [symbol.kind for symbol in table.occurrences("Point")] == ["struct", "impl", "impl"]
    assert {"Point::new", "Point::fmt", "Shape::area", "Shape::describe"} <= set(table.paths)


def test_engine_symbols_java_constructor_is_named_after_its_class() -> None:
    table = fixture_table("Outer.java")
    (constructor,) = table.occurrences("Outer::Inner::Inner")
    assert constructor.kind == "constructor"


def test_engine_symbols_python_type_parameters_and_aliases() -> None:
    source = "class Box[T]:\n    def get[U](self) -> U: ...\n\ntype Pair[T] = tuple[T, T]\n"
    table = table_of("box.py", source)
    assert [(symbol.path, symbol.kind) for symbol in table.symbols] == [
        ("Box", "class"),
        ("Box::get", "method"),
        ("Pair", "type"),
    ]


def test_engine_symbols_non_ascii_names_are_kept() -> None:
    table = table_of("cafe.py", "def café(): pass\nclass Ünicode: pass\n")
    assert table.paths == ("café", "Ünicode")


def test_engine_symbols_invalid_utf8_does_not_hide_later_symbols() -> None:
    table = extract_symbols("broken.py", b"def caf\xe9(): pass\nclass Ok: pass\n")
    assert table is not None
    assert table.paths[-1] == "Ok"
    assert all("\ufffd" in path or path.isidentifier() for path in table.paths)


def test_engine_symbols_unterminated_code_keeps_what_parses() -> None:
    source = "export class Done {\n  ok() {}\n}\n\nexport function broken(a: string {\n"
    table = table_of("open.ts", source)
    assert table.paths[:2] == ("Done", "Done::ok")


def test_engine_symbols_class_missing_its_last_brace_is_still_a_class() -> None:
    table = table_of("open.ts", "class Open {\n  first() {}\n  second() {\n}")
    assert table.paths == ("Open", "Open::first", "Open::second")


def test_engine_symbols_names_no_symbol_path_can_hold_are_left_out() -> None:
    table = table_of("odd.ts", 'class C {\n  "a:b"() {}\n  ok() {}\n}\n')
    assert table.paths == ("C", "C::ok")


def test_engine_symbols_deep_nesting_does_not_recurse() -> None:
    depth = 400
    source = "".join("    " * level + f"class C{level}:\n" for level in range(depth))
    table = table_of("deep.py", source + "    " * depth + "pass\n")
    assert len(table.symbols) == depth
    assert table.symbols[-1].path.count("::") == depth - 1


def test_engine_symbols_empty_file_has_an_empty_table() -> None:
    table = table_of("empty.go", "")
    assert table.symbols == ()
    assert table.paths == ()


# -- enclosing symbol -------------------------------------------------------------------------


def test_engine_symbols_enclosing_symbol_is_the_innermost_declaration() -> None:
    table = fixture_table("router.ts")
    assert enclosing_symbol(table, 27, 27) == "Router::handleAuth"  # inside the body
    assert enclosing_symbol(table, 24, 24) == "Router::handleAuth"  # its decorator
    assert enclosing_symbol(table, 18, 18) == "Router"  # a field between methods
    assert enclosing_symbol(table, 52, 52) == "Outer::Inner::method"


def test_engine_symbols_enclosing_symbol_outside_declarations_is_none() -> None:
    table = fixture_table("router.ts")
    assert enclosing_symbol(table, 2, 2) is None  # the import
    assert enclosing_symbol(table, 1, 200) is None


def test_engine_symbols_enclosing_symbol_of_a_range_across_members_is_their_parent() -> None:
    table = fixture_table("router.ts")
    assert enclosing_symbol(table, 26, 31) == "Router"
    assert enclosing_symbol(table, 31, 26) == "Router"  # either order


def test_engine_symbols_enclosing_symbol_prefers_the_deeper_of_equal_spans() -> None:
    table = table_of("one.ts", "class A { m() {} }\n")
    assert enclosing_symbol(table, 1, 1) == "A::m"


def test_engine_symbols_enclosing_symbol_of_a_go_method_is_receiver_scoped() -> None:
    table = fixture_table("server.go")
    assert enclosing_symbol(table, 30, 30) == "Server::Start"
    assert enclosing_symbol(table, 3, 3) is None


# -- validation and hints ---------------------------------------------------------------------


def test_engine_symbols_validate_returns_unknown_paths_once_in_order() -> None:
    table = fixture_table("router.ts")
    requested = ["Router::handleAuth", "Router::nope", "Ghost", "Router::nope", "Router"]
    assert validate_symbols(table, requested) == ["Router::nope", "Ghost"]


def test_engine_symbols_validate_accepts_a_prefix_of_declared_paths() -> None:
    table = fixture_table("server.go")
    assert "Listener" not in table.paths
    assert validate_symbols(table, ["Listener", "Listener::Close"]) == []


def test_engine_symbols_validate_is_exact_about_spelling() -> None:
    table = fixture_table("router.ts")
    assert validate_symbols(table, ["router::handleAuth", "Router::", "Router ::handleAuth"]) == [
        "router::handleAuth",
        "Router::",
        "Router ::handleAuth",
    ]


def test_engine_symbols_hint_puts_the_closest_paths_first() -> None:
    table = fixture_table("router.ts")
    assert symbol_hint(table, ["Router::handleAuht"])[0] == "Router::handleAuth"
    assert symbol_hint(table, "handleLogout")[0] == "Router::handleLogout"
    assert symbol_hint(table, ["Outer::Iner::method"])[0] == "Outer::Inner::method"


def test_engine_symbols_hint_lists_each_path_once_up_to_the_limit() -> None:
    table = fixture_table("router.ts")
    hint = symbol_hint(table, ["zzz"])
    assert sorted(hint) == sorted(table.paths)
    assert len(symbol_hint(table, ["zzz"], limit=5)) == 5


def test_engine_symbols_hint_defaults_to_fifty_paths() -> None:
    source = "".join(f"def handler_{number}():\n    pass\n" for number in range(120))
    table = table_of("many.py", source)
    assert HINT_LIMIT == 50
    assert len(symbol_hint(table, ["handler_7"])) == 50
    assert symbol_hint(table, ["handler_7"])[0] == "handler_7"


def test_engine_symbols_hint_without_names_keeps_source_order() -> None:
    table = fixture_table("server.go")
    assert symbol_hint(table, [], limit=3) == list(table.paths[:3])


# -- model ------------------------------------------------------------------------------------


def test_engine_symbols_symbol_knows_its_name_and_parent() -> None:
    symbol = Symbol("Outer::Inner::method", "method", 3, 9)
    assert symbol.name == "method"
    assert symbol.parent == "Outer::Inner"
    assert Symbol("top", "function", 1, 1).parent is None
    assert symbol.contains(3, 9)
    assert not symbol.contains(2, 4)


def test_engine_symbols_table_lists_paths_once_and_answers_membership() -> None:
    table = SymbolTable(
        "python",
        (
            Symbol("A", "class", 1, 9),
            Symbol("A::f", "method", 2, 3),
            Symbol("A::f", "method", 4, 5),
            Symbol("B::g", "method", 7, 8),
        ),
    )
    assert table.paths == ("A", "A::f", "B::g")
    assert "B" in table
    assert "A::f" in table
    assert "A::" not in table
    assert "A::f::x" not in table


# -- cache ------------------------------------------------------------------------------------


def test_engine_symbols_cache_answers_equal_bytes_from_memory() -> None:
    cache = SymbolCache()
    source = (FIXTURES / "router.ts").read_bytes()
    first = cache.extract("router.ts", source)
    again = cache.extract("web/router.ts", bytes(bytearray(source)))
    assert first is not None
    assert again is first
    assert (cache.hits, cache.misses) == (1, 1)


def test_engine_symbols_cache_keys_on_language_too() -> None:
    cache = SymbolCache()
    source = b"class A {}\n"
    typescript = cache.extract("a.ts", source)
    java = cache.extract("A.java", source)
    assert typescript is not None
    assert java is not None
    assert (typescript.language, java.language) == ("typescript", "java")
    assert cache.misses == 2


def test_engine_symbols_cache_parses_changed_content() -> None:
    cache = SymbolCache()
    before = cache.extract("a.py", b"def old(): pass\n")
    after = cache.extract("a.py", b"def new(): pass\n")
    assert before is not None
    assert after is not None
    assert (before.paths, after.paths) == (("old",), ("new",))


def test_engine_symbols_cache_evicts_the_least_recently_used() -> None:
    cache = SymbolCache(maxsize=2)
    cache.extract("a.py", b"def a(): pass\n")
    cache.extract("b.py", b"def b(): pass\n")
    cache.extract("a.py", b"def a(): pass\n")  # a is now the most recent
    cache.extract("c.py", b"def c(): pass\n")  # evicts b
    assert len(cache) == 2
    cache.extract("a.py", b"def a(): pass\n")
    cache.extract("b.py", b"def b(): pass\n")
    assert (cache.hits, cache.misses) == (2, 4)


def test_engine_symbols_cache_survives_checksum_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zlib, "crc32", lambda data: 7)
    cache = SymbolCache()
    first = cache.extract("a.py", b"def one(): pass\n")
    second = cache.extract("a.py", b"def two(): pass\n")
    assert first is not None
    assert second is not None
    assert (first.paths, second.paths) == (("one",), ("two",))


def test_engine_symbols_cache_skips_unsupported_files() -> None:
    cache = SymbolCache()
    assert cache.extract("notes.txt", b"anything") is None
    assert (len(cache), cache.hits, cache.misses) == (0, 0, 0)


def test_engine_symbols_cache_clear_forgets_tables() -> None:
    cache = SymbolCache()
    cache.extract("a.py", b"def a(): pass\n")
    cache.clear()
    assert len(cache) == 0


def test_engine_symbols_cache_rejects_a_useless_size() -> None:
    with pytest.raises(ValueError, match="maxsize must be at least 1"):
        SymbolCache(maxsize=0)
