"""The shortcut for patterns already canonical gives exactly what the full normalisation gives."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coord_engine._glob import parse_canonical
from coord_engine.patterns import (
    MAX_PATTERN_CHARS,
    MAX_PATTERN_SEGMENTS,
    PatternError,
    _normalize,
    literal_prefix,
    normalize_pattern,
)

# Every character a rule of SPEC §3 or the canonical form looks at, and a few plain ones.
_ALPHABET = [*"ab./*?[]!#\\-^ ", "\t", "\x00", "é", "\u00a0", "\u200b"]
raw_patterns = st.text(alphabet=_ALPHABET, min_size=0, max_size=12)


def outcome(normalise: object, raw: str) -> tuple[str, str]:
    """("ok", canonical) or ("error", rule and message), for comparing two normalisations."""
    try:
        return "ok", normalise(raw)  # type: ignore[operator]
    except PatternError as error:
        return "error", f"{error.rule}: {error.message}"


def reference_prefix(pattern: str) -> tuple[str, ...] | None:
    """The literal prefix as read off the parsed canonical pattern, segment by segment."""
    glob = parse_canonical(_normalize(pattern))
    if not glob.anchored:
        return None
    prefix: list[str] = []
    for segment in glob.segments:
        if any(char in segment.text for char in "*?["):
            break
        prefix.append(segment.text)
    return tuple(prefix)


LIMIT_CASES = [
    "a" * MAX_PATTERN_CHARS,
    "a" * (MAX_PATTERN_CHARS + 1),
    "/".join(["a"] * MAX_PATTERN_SEGMENTS),
    "/".join(["a"] * (MAX_PATTERN_SEGMENTS + 1)),
    "src/auth/login.ts",
    "src/**/*.ts",
    "**",
    "**/**",
    "*.ts",
    " lead",
    "trail ",
    "a/./b",
    "a/../b",
    "!x",
    "#x",
    "a\\b",
    "a[b",
    "a[!b]c/d",
    "nb\u00a0sp",
]


@pytest.mark.parametrize("raw", LIMIT_CASES)
def test_shortcut_agrees_at_the_limits_and_the_special_spellings(raw: str) -> None:
    assert outcome(normalize_pattern, raw) == outcome(_normalize, raw)


@settings(max_examples=600, deadline=None)
@given(raw_patterns)
@example("src/a.ts")
@example("a//b")
def test_shortcut_agrees_with_the_full_normalisation(raw: str) -> None:
    assert outcome(normalize_pattern, raw) == outcome(_normalize, raw)


@settings(max_examples=600, deadline=None)
@given(raw_patterns)
@example("src/p000/m00/f1.py")
@example("**/x")
def test_literal_prefix_agrees_with_the_parsed_pattern(raw: str) -> None:
    try:
        expected = reference_prefix(raw)
    except PatternError:
        with pytest.raises(PatternError):
            literal_prefix(raw)
        return
    assert literal_prefix(raw) == expected
