"""Pattern normalisation, rejection rules and literal prefixes (SPEC §3)."""

from __future__ import annotations

import itertools

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine.matching import matches
from coord_engine.patterns import (
    MAX_PATTERN_CHARS,
    MAX_PATTERN_SEGMENTS,
    PatternError,
    literal_prefix,
    normalize_pattern,
)

_SEGMENTS = ["".join(chars) for size in (1, 2) for chars in itertools.product("abc", repeat=size)]
PATHS = [
    "/".join(parts) for depth in (1, 2, 3) for parts in itertools.product(_SEGMENTS, repeat=depth)
]


def oracle_matches(pattern: str) -> set[str]:
    """The paths of PATHS that pathspec's gitignore flavour matches with `pattern`."""
    return set(pathspec.PathSpec.from_lines("gitignore", [pattern]).match_files(PATHS))


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("src/a.ts", "src/a.ts"),
        ("src\\auth\\login.ts", "src/auth/login.ts"),
        ("src\\auth\\", "src/auth/**"),
        ("./src/a.ts", "src/a.ts"),
        ("././src/a.ts", "src/a.ts"),
        ("./package.json", "package.json"),
        ("src//auth///a.ts", "src/auth/a.ts"),
        ("src/", "src/**"),
        ("src/auth/", "src/auth/**"),
        ("src/auth//", "src/auth/**"),
        ("/package.json", "/package.json"),
        ("/src/a.ts", "src/a.ts"),
        ("//src/a.ts", "src/a.ts"),
        ("/src/", "src/**"),
        ("/*", "/*"),
        ("/**", "**"),
        ("/**/x", "**/x"),
        ("/", "**"),
        (".", "**"),
        ("./", "**"),
        ("a/./b", "a/b"),
        ("a/.", "a/**"),
        ("**/**/a", "**/a"),
        ("a/**/**/b/", "a/**/b/**"),
        ("**/", "**"),
        ("src/a.ts   ", "src/a.ts"),
        ("src/ ", "src/**"),
        ("  a", "  a"),
        ("/!important.txt", "/!important.txt"),
        ("/!x/y", "/!x/y"),
        ("/#x/y", "/#x/y"),
        ("src/!x", "src/!x"),
        ("a**b", "a**b"),
        ("***", "***"),
        ("[!a]b", "[!a]b"),
        ("[]]", "[]]"),
        ("Größe/日本.md", "Größe/日本.md"),
    ],
)
def test_normalisation_rules(raw: str, canonical: str) -> None:
    assert normalize_pattern(raw) == canonical
    assert normalize_pattern(canonical) == canonical


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!src/a.ts", "negation"),
        ("./!a", "negation"),
        ("#notes", "comment"),
        ("../x", "dotdot"),
        ("src/../x", "dotdot"),
        ("src\\..\\x", "dotdot"),
        ("src/..", "dotdot"),
        ("a\x00b", "control_char"),
        ("a\tb", "control_char"),
        ("a\nb", "control_char"),
        ("src/a.ts\n", "control_char"),
        ("a\x7fb", "control_char"),
        ("a\x85b", "control_char"),
        ("x" * (MAX_PATTERN_CHARS + 1), "too_long"),
        ("/".join(["a"] * (MAX_PATTERN_SEGMENTS + 1)), "too_many_segments"),
        ("/".join(["a"] * MAX_PATTERN_SEGMENTS) + "/", "too_many_segments"),
        ("src/[ab", "unterminated_class"),
        ("[]", "unterminated_class"),
        ("[!]", "unterminated_class"),
        ("[]a", "unterminated_class"),
        ("a[/]b", "unterminated_class"),
        ("src/[z-a].ts", "bad_range"),
        ("[!b-a]", "bad_range"),
    ],
)
def test_rejections_name_the_pattern_and_the_rule(raw: str, rule: str) -> None:
    with pytest.raises(PatternError) as caught:
        normalize_pattern(raw)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.rule == rule
    assert error.pattern == raw
    assert rule in error.message
    assert repr(raw[:100])[:-1] in error.message
    assert str(error) == error.message


@pytest.mark.parametrize(
    ("raw", "advice"),
    [
        ("!a", "'**/!name'"),
        ("#a", "'/#name'"),
        ("a[b", "close it with ']'"),
        ("[z-a]", "low-high"),
        ("../a", "name the path directly"),
    ],
)
def test_rejection_messages_say_how_to_fix(raw: str, advice: str) -> None:
    with pytest.raises(PatternError) as caught:
        normalize_pattern(raw)
    assert advice in caught.value.message


def test_limits_are_inclusive() -> None:
    longest = "x" * MAX_PATTERN_CHARS
    assert normalize_pattern(longest) == longest
    deepest = "/".join(["a"] * MAX_PATTERN_SEGMENTS)
    assert normalize_pattern(deepest) == deepest


def test_a_trailing_slash_that_pushes_past_the_length_limit_is_rejected() -> None:
    with pytest.raises(PatternError) as caught:
        normalize_pattern("a/" + "b" * (MAX_PATTERN_CHARS - 3) + "/")
    assert caught.value.rule == "too_long"


def test_the_leading_slash_stays_exactly_where_it_changes_the_meaning() -> None:
    # `/package.json` is the root file only; `package.json` matches at any depth.
    assert matches("/package.json", "package.json")
    assert not matches("/package.json", "web/package.json")
    assert matches("package.json", "web/package.json")
    # `/*` names root entries only, while `*` matches every path.
    assert not matches("/*", "a/b")
    assert matches("*", "a/b")


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        ("src/auth/*.ts", ("src", "auth")),
        ("src/a.ts", ("src", "a.ts")),
        ("/package.json", ("package.json",)),
        ("src/auth/**", ("src", "auth")),
        ("src/**/x.ts", ("src",)),
        ("src/a[bc]/x", ("src",)),
        ("src/a?/x", ("src",)),
        ("*/x", ()),
        ("**/y", ()),
        ("**", ()),
        ("/*", ()),
        ("*.ts", None),
        ("package.json", None),
        ("src/", ("src",)),
    ],
)
def test_literal_prefix(pattern: str, prefix: tuple[str, ...] | None) -> None:
    assert literal_prefix(pattern) == prefix


_TOKENS = ["a", "b", "*", "?", "[ab]", "[!a]", ".", " "]
_raw_segments = st.one_of(
    st.sampled_from(["**", ".", "", "..."]),
    st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=3).map("".join),
)
raw_patterns = st.builds(
    lambda lead, segments, tail, separator: (lead + "/".join(segments) + tail).replace(
        "/", separator
    ),
    st.sampled_from(["", "/", "./", "//"]),
    st.lists(_raw_segments, min_size=1, max_size=4),
    st.sampled_from(["", "/", "//", "  "]),
    st.sampled_from(["/", "\\"]),
)


@settings(max_examples=300, deadline=None)
@given(raw_patterns)
def test_normalisation_is_idempotent(raw: str) -> None:
    try:
        canonical = normalize_pattern(raw)
    except PatternError:
        return
    assert normalize_pattern(canonical) == canonical
    assert "//" not in canonical
    assert not canonical.endswith("/")
    assert "\\" not in canonical
    assert canonical == canonical.rstrip()


_plain_segments = st.one_of(
    st.just("**"), st.lists(st.sampled_from(_TOKENS[:6]), min_size=1, max_size=2).map("".join)
)
plain_patterns = st.builds(
    lambda lead, segments: lead + "/".join(segments),
    st.sampled_from(["", "/"]),
    st.lists(_plain_segments, min_size=1, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(plain_patterns)
def test_normalisation_keeps_the_gitignore_meaning(raw: str) -> None:
    # Without the rewrites SPEC §3 asks for on purpose (trailing `/`, `./`, `\`), the canonical
    # form must match exactly what pathspec matches for the pattern as written: this checks
    # where the leading `/` is dropped and the `**/**` collapse.
    assert oracle_matches(raw) == oracle_matches(normalize_pattern(raw))


@settings(max_examples=150, deadline=None)
@given(plain_patterns)
def test_every_matched_path_starts_with_the_literal_prefix(raw: str) -> None:
    canonical = normalize_pattern(raw)
    prefix = literal_prefix(canonical)
    for path in PATHS:
        if matches(canonical, path) and prefix is not None:
            assert tuple(path.split("/")[: len(prefix)]) == prefix
