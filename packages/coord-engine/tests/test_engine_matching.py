"""Matching one pattern against one path (SPEC §3), held to pathspec's gitignore flavour."""

from __future__ import annotations

import pathspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_engine._automaton import from_glob, path_automaton
from coord_engine._compiled import glob_of
from coord_engine._glob import AnyChar, AnyRun, CharClass, Literal
from coord_engine.matching import is_repo_path, matches
from coord_engine.patterns import PatternError, normalize_pattern


def oracle(pattern: str, path: str) -> bool:
    return bool(pathspec.PathSpec.from_lines("gitignore", [pattern]).match_file(path))


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        # SPEC §3 prose.
        ("src/auth", "src/auth", True),
        ("src/auth", "src/auth/x/y.ts", True),
        ("src/auth", "lib/src/auth", False),
        ("src/auth/*", "src/auth/login.ts", True),
        ("src/auth/*", "src/auth/x/y.ts", False),
        ("src/auth/**", "src/auth/x/y.ts", True),
        ("src/auth/**", "src/auth", False),
        ("*.ts", "a.ts", True),
        ("*.ts", "src/deep/a.ts", True),
        ("*.ts", "a.tsx", False),
        ("package.json", "web/app/package.json", True),
        ("/package.json", "package.json", True),
        ("/package.json", "web/package.json", False),
        ("src/a.ts", "src/A.ts", False),
        ("src/?.ts", "src/a.ts", True),
        ("src/?.ts", "src/ab.ts", False),
        ("src/[ab].ts", "src/b.ts", True),
        ("src/[!ab].ts", "src/b.ts", False),
        ("src/[!ab].ts", "src/c.ts", True),
        ("src/[a-c].ts", "src/c.ts", True),
        ("src/[a-c].ts", "src/d.ts", False),
        ("a/**/c", "a/c", True),
        ("a/**/c", "a/b/x/c", True),
        ("a/**/c", "a/b/x/c/d", True),
        ("a/**/c", "a/bc", False),
        ("**/c", "c", True),
        ("**/c", "x/y/c", True),
        ("*", "a/b/c", True),
        ("**", "a/b/c", True),
        ("/*", "a", True),
        ("/*", "a/b", False),
        ("*/x", "a/x", True),
        ("*/x", "x", False),
        # Only a bare `*` stops at direct children: other last segments cover directories.
        ("src/*.ts", "src/a.ts/inner", True),
        ("src/a*", "src/ab/c", True),
        ("src/***", "src/ab/c", True),
        # pathspec hands a negated class to a regular expression, where it also matches `/`.
        ("src/a[!x]b", "src/a/b", True),
        ("src/a[+-0]b", "src/a/b", True),
        ("src/a?b", "src/a/b", False),
        # Class syntax: `]` first is a member, `-` at either end is a member, `^` negates.
        ("[]a]", "]", True),
        ("[!]a]", "]", False),
        ("[!]a]", "b", True),
        ("[a-]", "-", True),
        ("[-a]", "-", True),
        ("[^a]", "b", True),
        ("[^a]", "a", False),
        ("a[ab]]", "ab]", True),
        ("Größe/*.md", "Größe/日本.md", True),
    ],
)
def test_matching_table(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected
    assert oracle(pattern, path) is expected


@pytest.mark.parametrize(
    "path",
    ["", "/src/a.ts", "src/a.ts/", "src//a.ts", "./src/a.ts", "src/./a.ts", "src/../a.ts", "a\nb"],
)
def test_a_path_that_is_not_a_repo_path_matches_nothing(path: str) -> None:
    assert not is_repo_path(path)
    assert not matches("**", path)
    assert not matches("src/a.ts", path)


def test_classes_opening_with_a_bracket_hold_it_as_a_member() -> None:
    # Checked by hand rather than against pathspec: its regex compiler warns about `[[`.
    assert matches("[[]x", "[x")
    assert not matches("[[]x", "ax")


def test_non_canonical_spellings_are_normalised_first() -> None:
    assert matches("src/", "src/a.ts")
    assert not matches("src/", "lib/src/a.ts")
    assert matches(".\\src\\a.ts", "src/a.ts")
    with pytest.raises(PatternError):
        matches("!src", "src")


@pytest.mark.parametrize("pattern", ["src/a.ts", "package.json", "src/auth/**", "**", "/x"])
def test_literal_shortcuts_agree_with_the_glob_automaton(pattern: str) -> None:
    general = from_glob(glob_of(pattern))
    for path in ["src/a.ts", "src/a.ts/x", "package.json", "a/package.json/b", "src/auth/x", "x"]:
        assert matches(pattern, path) is general.accepts(path), path


_COMMON_TOKENS = ["a", "b", "*", "?", "**", "[ab]", "[!a]"]
_RARE_TOKENS = [
    ".", "-", "]", "!", "é", "[]a]", "[!]a]", "[a-]", "[-a]", "[a-c]", "[^b]", "[+-0]", "[!.-/]",
]  # fmt: skip
_tokens = st.one_of(st.sampled_from(_COMMON_TOKENS), st.sampled_from(_RARE_TOKENS))
_segments = st.lists(_tokens, min_size=1, max_size=4).map("".join)
patterns = st.builds(
    lambda lead, segments, tail: lead + "/".join(segments) + tail,
    st.sampled_from(["", "/"]),
    st.lists(_segments, min_size=1, max_size=3),
    st.sampled_from(["", "/"]),
)
# Mostly `a` and `b`, so that paths often match; the rarer characters probe classes and `.`.
_path_segments = st.one_of(
    st.text(alphabet="ab", min_size=1, max_size=3),
    st.text(alphabet="ab.-]!é+0", min_size=1, max_size=3),
)
paths = st.lists(_path_segments, min_size=1, max_size=4).map("/".join)


def _canonical(raw: str) -> str | None:
    try:
        return normalize_pattern(raw)
    except PatternError:
        return None


def _instance(pattern: str, data: st.DataObject) -> str:
    """A path built by filling the pattern's wildcards, so that it often (not always) matches."""
    parts: list[str] = []
    for segment in glob_of(pattern).segments:
        if segment.is_globstar:
            parts.append(data.draw(st.sampled_from(["", "a", "b/a"])))
            continue
        fill = {AnyRun: ["", "a", "ba"], AnyChar: ["a", "b"], CharClass: ["a", "b", "]", "-", "/"]}
        text = "".join(
            token.text
            if isinstance(token, Literal)
            else data.draw(st.sampled_from(fill[type(token)]))
            for token in segment.tokens
        )
        parts.append(text or "a")
    return "/".join(part for part in parts if part) + data.draw(st.sampled_from(["", "/b"]))


@settings(max_examples=400, deadline=None)
@given(patterns, st.lists(paths, min_size=1, max_size=6), st.data())
def test_matches_agrees_with_pathspec(raw: str, candidates: list[str], data: st.DataObject) -> None:
    pattern = _canonical(raw)
    if pattern is None:
        return
    automaton = path_automaton(pattern)
    for path in [*candidates, _instance(pattern, data), _instance(pattern, data)]:
        expected = is_repo_path(path) and oracle(pattern, path)
        assert matches(pattern, path) is expected, path
        # The overlap automaton is built from the same parse and must agree with the matcher.
        assert automaton.accepts(path) is expected, path


@settings(max_examples=200, deadline=None)
@given(patterns)
def test_a_pattern_matches_what_its_literal_text_names(raw: str) -> None:
    pattern = _canonical(raw)
    if pattern is None or any(char in pattern for char in "*?[") or pattern == "/":
        return
    path = pattern.lstrip("/")
    if is_repo_path(path):
        assert matches(pattern, path)
        assert matches(pattern, path + "/below")
