"""Exact overlap and inclusion of patterns (SPEC §3), held to brute force over pathspec.

Why the brute force below is a real oracle for the generated patterns
---------------------------------------------------------------------
`UNIVERSE` holds every path of depth 1..4 whose segments are 1..2 characters over `a`, `b`, `c`.
Generated patterns use only the tokens `a`, `b`, `*`, `?`, `[ab]`, `[!a]` (at most two per
segment), whole `**` segments, a leading and a trailing `/`, and a pair has at most three
segments other than `**` between them. If such a pair has any common path, it has one in
UNIVERSE, and the shortest common paths have the same length as the shortest one in UNIVERSE:

* Characters: the patterns never name a character other than `a`, `b` or `/`, so any other
  character can be replaced by `c` without changing either answer (and without creating a `.`
  or `..` segment).
* Classes never span segments here: a class matches `/` (pathspec's quirk) only in a valid path
  when it sits strictly inside a segment, which needs three tokens.
* Segment length: each path segment is matched by a pattern segment of at most two tokens, by a
  `**`, or lies below a directory match; the shortest string that satisfies two such segments
  has at most two characters.
* Depth: each non-`**` segment of a pattern matches exactly one path segment. A path segment
  that both patterns consume with `**` or with directory coverage can be removed, except one
  that a trailing `/**` needs below its directory. So depth <= 3 + 1.

Every step above only shortens a path, so a shortest common path also fits, and the engine's
witness (a breadth-first, shortest one) must be as short as the shortest in UNIVERSE.
For `covers` the brute force is exact in one direction: a path of UNIVERSE that `inner` matches
and `outer` does not proves `covers` False; the other direction is checked by the engine's own
counterexample, which pathspec must confirm.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import pathspec
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from coord_engine._automaton import REPO_PATHS, Automaton, from_glob, intersection, path_automaton
from coord_engine._compiled import glob_of
from coord_engine._search import common_word, escaping_word
from coord_engine._shapes import Named, Shape, Subtree, shape_of
from coord_engine.budget import Meter
from coord_engine.matching import is_repo_path, matches
from coord_engine.overlap import counterexample, covers, overlap_witness, overlaps
from coord_engine.patterns import PatternError, PatternTooComplex, literal_prefix, normalize_pattern

_SEGMENTS = ["".join(chars) for size in (1, 2) for chars in itertools.product("abc", repeat=size)]
UNIVERSE = [
    "/".join(parts) for depth in range(1, 5) for parts in itertools.product(_SEGMENTS, repeat=depth)
]


def oracle(pattern: str, path: str) -> bool:
    return bool(pathspec.PathSpec.from_lines("gitignore", [pattern]).match_file(path))


@lru_cache(maxsize=1024)
def oracle_set(pattern: str) -> frozenset[str]:
    """The paths of UNIVERSE pathspec matches, through the regex its gitignore pattern compiles
    to (what `match_file` evaluates; calling that per path would be a hundred times slower)."""
    regex = pathspec.PathSpec.from_lines("gitignore", [pattern]).patterns[0].regex
    assert regex is not None
    return frozenset(path for path in UNIVERSE if regex.search(path))


def fixed_segments(pattern: str) -> int:
    return sum(not segment.is_globstar for segment in glob_of(pattern).segments)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("lib/*_test.py", "lib/test_*.py"),
        ("src/*.ts", "src/a*"),
        ("a/**/c", "a/b/**"),
        ("*.ts", "src/a.ts"),
        ("src/auth/**", "src/auth/login.ts"),
        ("src/auth", "src/auth/x/y.ts"),
        ("src/auth/*", "src/auth/login.ts"),
        ("package.json", "/web/package.json"),
        ("**", "a"),
        ("src/a[!x]b", "src/a/b"),
        ("*/x/**", "**/x/*"),
        ("src/*.ts", "src/a.ts/deeper"),
        # A last segment also names a directory: `x.ts/y.js` is matched by both.
        ("*.ts", "*.js"),
    ],
)
def test_overlapping_pairs(a: str, b: str) -> None:
    witness = overlap_witness(a, b)
    assert witness is not None
    assert overlaps(a, b)
    assert overlaps(b, a)
    assert is_repo_path(witness)
    assert oracle(a, witness)
    assert oracle(b, witness)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("src/auth/**", "src/auth_v2/x"),
        ("src/auth/*", "src/auth/x/y.ts"),
        ("src/auth/**", "src/auth.ts"),
        ("/package.json", "web/package.json"),
        ("src/*.ts", "src/*.js"),
        ("lib/*_test.py", "lib/*_spec.py"),
        ("a/[.]", "**"),
        ("a/[!a-z]", "a/[a-z]"),
        ("/*", "*/x"),
        ("src/a?b", "src/a/b"),
    ],
)
def test_disjoint_pairs(a: str, b: str) -> None:
    assert overlap_witness(a, b) is None
    assert not overlaps(a, b)
    assert not overlaps(b, a)


def test_witnesses_are_the_shortest_and_readable() -> None:
    assert overlap_witness("lib/*_test.py", "lib/test_*.py") == "lib/test_test.py"
    assert overlap_witness("src/*.ts", "src/a*") == "src/a.ts"
    assert overlap_witness("a/**/c", "a/b/**") == "a/b/c"
    assert overlap_witness("*.ts", "src/a.ts") == "src/a.ts"


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("src/**", "src/a/*.ts", True),
        ("src/*.ts", "src/**", False),
        ("src/**", "src/a.ts", True),
        ("src", "src/**", True),
        ("src/**", "src", False),
        ("**", "anything/at/all", True),
        ("*", "**", True),
        ("*.ts", "src/*.ts", True),
        ("src/*.ts", "*.ts", False),
        ("src/*", "src/a/b.ts", False),
        # `src/a.ts` also matches `src/a.ts/x` (were it a directory), which `src/*` does not.
        ("src/*", "src/a.ts", False),
        ("src/*", "src/*", True),
        ("[ab]*", "a*", True),
        ("a*", "[ab]*", False),
        ("[!a]", "b", True),
        ("docs/**", "docs/guide/*.md", True),
        ("/package.json", "package.json", False),
        ("package.json", "/package.json", True),
    ],
)
def test_covers_table(outer: str, inner: str, expected: bool) -> None:
    assert covers(outer, inner) is expected
    found = counterexample(outer, inner)
    assert (found is None) is expected
    if found is not None:
        assert is_repo_path(found)
        assert oracle(inner, found)
        assert not oracle(outer, found)


def test_inputs_are_normalised_and_validated() -> None:
    assert overlaps("src\\auth\\", "src/auth/a.ts")
    assert covers("./src/", "/src/a.ts")
    with pytest.raises(PatternError):
        overlaps("!a", "a")
    with pytest.raises(PatternError):
        covers("a", "src/[x")


_TOKENS = ["a", "b", "*", "?", "[ab]", "[!a]"]
_segments = st.one_of(
    st.just("**"), st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=2).map("".join)
)
patterns = st.builds(
    lambda lead, segments, tail: normalize_pattern(lead + "/".join(segments) + tail),
    st.sampled_from(["", "/"]),
    st.lists(_segments, min_size=1, max_size=3),
    st.sampled_from(["", "/"]),
)


@settings(max_examples=250, deadline=None)
@given(patterns, patterns)
def test_overlap_agrees_with_brute_force(a: str, b: str) -> None:
    assume(fixed_segments(a) + fixed_segments(b) <= 3)
    common = oracle_set(a) & oracle_set(b)
    witness = overlap_witness(a, b)
    assert (witness is not None) is bool(common)
    assert overlaps(b, a) is bool(common)
    if witness is not None:
        assert is_repo_path(witness)
        assert oracle(a, witness)
        assert oracle(b, witness)
        assert len(witness) == min(len(path) for path in common)


@settings(max_examples=250, deadline=None)
@given(patterns, patterns)
def test_covers_agrees_with_brute_force(outer: str, inner: str) -> None:
    escaped = oracle_set(inner) - oracle_set(outer)
    found = counterexample(outer, inner)
    if escaped:
        assert not covers(outer, inner)
    if found is None:
        assert covers(outer, inner)
        assert not escaped
    else:
        assert is_repo_path(found)
        assert oracle(inner, found)
        assert not oracle(outer, found)
    assert covers(outer, outer)


_RICH_TOKENS = [*_TOKENS, "]", ".", "[]a]", "[!]a]", "[a-]", "[+-0]", "[^b]"]
_rich_segments = st.one_of(
    st.just("**"), st.lists(st.sampled_from(_RICH_TOKENS), min_size=1, max_size=4).map("".join)
)
rich_patterns = st.builds(
    lambda lead, segments, tail: lead + "/".join(segments) + tail,
    st.sampled_from(["", "/"]),
    st.lists(_rich_segments, min_size=1, max_size=4),
    st.sampled_from(["", "/"]),
)


def _canonical(raw: str) -> str:
    try:
        return normalize_pattern(raw)
    except PatternError:
        reject()


@settings(max_examples=250, deadline=None)
@given(rich_patterns, rich_patterns, rich_patterns)
def test_answers_are_sound_for_longer_patterns(raw_a: str, raw_b: str, raw_c: str) -> None:
    # Beyond the brute force's bound only soundness is checked: every witness and counterexample
    # is confirmed by pathspec, a path common to UNIVERSE is never missed, answers are
    # symmetric, and covering is consistent with overlapping.
    a, b, c = _canonical(raw_a), _canonical(raw_b), _canonical(raw_c)
    witness = overlap_witness(a, b)
    assert overlaps(b, a) is (witness is not None)
    if witness is not None:
        assert is_repo_path(witness)
        assert oracle(a, witness)
        assert oracle(b, witness)
    if oracle_set(a) & oracle_set(b):
        assert witness is not None
    found = counterexample(a, b)
    if found is not None:
        assert oracle(b, found)
        assert not oracle(a, found)
    if covers(a, b) and overlaps(b, c):
        assert overlaps(a, c)


@settings(max_examples=250, deadline=None)
@given(patterns, patterns)
def test_overlapping_patterns_have_nested_literal_prefixes(a: str, b: str) -> None:
    # The claim index relies on this: only claims along one prefix chain can overlap.
    if not overlaps(a, b):
        return
    prefix_a, prefix_b = literal_prefix(a), literal_prefix(b)
    if prefix_a is None or prefix_b is None:
        return
    shorter = min(len(prefix_a), len(prefix_b))
    assert prefix_a[:shorter] == prefix_b[:shorter]


@settings(max_examples=150, deadline=None)
@given(patterns)
def test_a_pattern_overlaps_itself_exactly_when_it_matches_a_path(pattern: str) -> None:
    witness = overlap_witness(pattern, pattern)
    assert (witness is not None) is bool(oracle_set(pattern))
    if witness is not None:
        assert matches(pattern, witness)


# Wildcard-free patterns take exact shortcuts (`_shapes`, and a walk of the other pattern's
# automaton instead of compiling theirs). The reference below is the plain search every pair
# used to take, so the shortcuts must agree with it on existence and witness length.


def _unbounded() -> Meter:
    return Meter("", "reference search", 10**12)


def reference_automaton(pattern: str) -> Automaton:
    """The automaton of the general translation, without the shortcut for wildcard-free shapes."""
    return intersection(from_glob(glob_of(pattern)), REPO_PATHS)


def reference_witness(a: str, b: str) -> str | None:
    return common_word(reference_automaton(a), reference_automaton(b), _unbounded())


def reference_counterexample(outer: str, inner: str) -> str | None:
    big = reference_automaton(outer)
    return escaping_word(
        "reference:" + outer, big, reference_automaton(inner), frozenset({0}), _unbounded()
    )


@pytest.mark.parametrize(
    ("pattern", "shape"),
    [
        ("src/a.ts", Subtree(("src", "a.ts"), includes_root=True)),
        ("/package.json", Subtree(("package.json",), includes_root=True)),
        ("src/auth/**", Subtree(("src", "auth"), includes_root=False)),
        ("src/auth/", Subtree(("src", "auth"), includes_root=False)),
        ("**", Subtree((), includes_root=False)),
        ("package.json", Named("package.json")),
        ("**/package.json", Named("package.json")),
        ("*.ts", None),
        ("src/*", None),
        ("**/a/b", None),
        ("a/**/b", None),
        ("**/a/**", None),
        ("src/[a]", None),
    ],
)
def test_wildcard_free_shapes(pattern: str, shape: Shape | None) -> None:
    assert shape_of(pattern) == shape


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/a.ts", "src/a.ts/x", "src/a.ts/x"),
        ("src/a.ts", "src/b.ts", None),
        ("src/a.ts", "src", "src/a.ts"),
        ("src/a.ts", "lib", "src/a.ts/lib"),
        ("/package.json", "package.json", "package.json"),
        ("/web/x", "package.json", "web/x/package.json"),
        ("web/package.json", "package.json", "web/package.json"),
        ("package.json", "**/package.json", "package.json"),
        ("a.ts", "b.ts", "b.ts/a.ts"),
        ("src/**", "src", "src/a"),
        ("src/**", "src/**", "src/a"),
        ("src/auth/**", "src/**", "src/auth/a"),
        ("src/auth/**", "src", "src/auth/a"),
        ("src/**", "srcx", "src/srcx"),
        ("src/**", "src/a.ts", "src/a.ts"),
        ("src/**", "lib/**", None),
        ("src/**", "/src", "src/a"),
        ("**", "**", "a"),
        ("**", "x", "x"),
        ("**", "src/a.ts", "src/a.ts"),
    ],
)
def test_wildcard_free_pairs(a: str, b: str, expected: str | None) -> None:
    assert overlap_witness(a, b) == expected
    assert overlaps(b, a) is (expected is not None)
    reference = reference_witness(a, b)
    assert (reference is None) is (expected is None)
    if expected is not None and reference is not None:
        assert len(expected) == len(reference)
        assert oracle(a, expected)
        assert oracle(b, expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # A path is walked through the glob's automaton: the glob matches below it, beside it,
        # or nowhere in its tree.
        # `*` may be empty: `.js` is a valid name.
        ("src/a.ts", "src/*.ts/*.js", "src/a.ts/.js"),
        ("src", "*/x?", "src/xa"),
        ("src/auth/**", "src/*/login.ts", "src/auth/login.ts"),
        ("src/auth/**", "src/*", None),
        ("src/a.ts", "*/generated/**", None),
        ("**", "a/[.]", None),
        ("/lib", "lib/*_test.py", "lib/_test.py"),
        ("lib", "lib/*_test.py", "lib/_test.py"),
        ("lib/x", "lib/*_test.py", None),
        ("package.json", "*.json", "package.json"),
    ],
)
def test_wildcard_free_against_globs(a: str, b: str, expected: str | None) -> None:
    assert overlap_witness(a, b) == expected
    assert overlap_witness(b, a) == expected
    reference = reference_witness(a, b)
    assert (reference is None) is (expected is None)
    if expected is not None and reference is not None:
        assert len(expected) == len(reference)
        assert oracle(a, expected)
        assert oracle(b, expected)


def test_a_path_is_checked_without_compiling_it() -> None:
    for glob in ("src/never/*.ts", "src/never/*"):
        path_automaton(glob)
    misses = path_automaton.cache_info().misses
    assert overlap_witness("src/never/seen/before.ts", "src/never/*.ts") is None
    assert overlap_witness("src/never/a.ts", "src/never/*.ts") == "src/never/a.ts"
    assert overlap_witness("src/never/b/**", "src/never/*.ts") is None
    assert overlap_witness("src/never/b/**", "src/never/*") is None
    assert overlap_witness("src/never/**", "src/never/*") == "src/never/a"
    # A bare last `*` names entries, not what lies below them.
    assert counterexample("src/never/*", "src/never/c.ts") == "src/never/c.ts/a"
    assert covers("src/never/*.ts", "src/never/d.ts")
    assert path_automaton.cache_info().misses == misses


_SHAPE_SEGMENTS = ["a", "b", "ab", "src", "x.ts", "**", "*", "*.ts", "a?", "[!a]", "[ab]b"]
shape_heavy_patterns = st.builds(
    lambda lead, segments, tail: normalize_pattern(lead + "/".join(segments) + tail),
    st.sampled_from(["", "", "/", "**/"]),
    st.lists(st.sampled_from(_SHAPE_SEGMENTS), min_size=1, max_size=4),
    st.sampled_from(["", "", "/"]),
)


@settings(max_examples=300, deadline=None)
@given(shape_heavy_patterns, shape_heavy_patterns)
def test_shortcuts_agree_with_the_plain_search(a: str, b: str) -> None:
    try:
        counterexample(a, b)
    except PatternTooComplex:
        reject()  # over the inclusion budget: refused, which test_engine_budget covers
    witness, reference = overlap_witness(a, b), reference_witness(a, b)
    assert (witness is None) is (reference is None)
    if witness is not None and reference is not None:
        assert len(witness) == len(reference)
        assert matches(a, witness)
        assert matches(b, witness)
    found, expected = counterexample(a, b), reference_counterexample(a, b)
    assert (found is None) is (expected is None)
    if found is not None and expected is not None:
        assert len(found) == len(expected)
        assert matches(b, found)
        assert not matches(a, found)
