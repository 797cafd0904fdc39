"""Does a pattern match a path? The gitignore semantics of SPEC §3 for one concrete path.

A pattern is compiled once into a predicate: a plain string comparison when it holds no
wildcard (`src/a.ts`, `package.json`, `src/auth/**`), else one regular expression built from the
parsed pattern. The automaton in `overlap` is built from the same parse, and the tests hold both
to pathspec's answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from coord_engine._charset import CharSet
from coord_engine._compiled import glob_of
from coord_engine._glob import STAR, AnyChar, AnyRun, Glob, Literal, Segment, Token

_SEGMENT = r"(?!\.\.?(?:/|\Z))[^/\x00-\x1f\x7f-\x9f]+"
_REPO_PATH = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")

PathTest = Callable[[str], bool]


def is_repo_path(path: str) -> bool:
    """True for a repo-relative path: non-empty segments joined by single `/`, no `.` or `..`
    segment, no leading or trailing `/`, no control character."""
    return _REPO_PATH.fullmatch(path) is not None


def matches(pattern: str, path: str) -> bool:
    """True when `pattern` matches the repo-relative `path` (or a directory above it).

    `pattern` should be canonical; any other spelling is normalised first and an invalid one
    raises `PatternError`. A `path` that is not a repo path (see `is_repo_path`) matches nothing.
    """
    return is_repo_path(path) and _path_test(pattern)(path)


@lru_cache(maxsize=4096)
def _path_test(pattern: str) -> PathTest:
    glob = glob_of(pattern)
    return _literal_test(glob) or _regex_test(glob)


def _literal_test(glob: Glob) -> PathTest | None:
    """String comparisons for the wildcard-free shapes; None for any other pattern."""
    segments = glob.segments
    texts = [segment.text for segment in segments]
    if len(segments) == 1 and segments[0].is_globstar:
        return _everything
    if not glob.anchored:
        return _named_anywhere(texts[1]) if segments[1].is_literal else None
    if not all(segment.is_literal for segment in segments[:-1]):
        return None
    if segments[-1].is_literal:
        return _at_or_below("/".join(texts))
    if segments[-1].is_globstar:
        return _below("/".join(texts[:-1]) + "/")
    return None


def _everything(path: str) -> bool:
    return True


def _named_anywhere(name: str) -> PathTest:
    def test(path: str) -> bool:
        return (
            path == name
            or path.startswith(name + "/")
            or path.endswith("/" + name)
            or f"/{name}/" in path
        )

    return test


def _at_or_below(target: str) -> PathTest:
    def test(path: str) -> bool:
        return path == target or path.startswith(target + "/")

    return test


def _below(directory: str) -> PathTest:
    def test(path: str) -> bool:
        return path.startswith(directory)

    return test


def _regex_test(glob: Glob) -> PathTest:
    compiled = re.compile(regex_source(glob), re.DOTALL)

    def test(path: str) -> bool:
        return compiled.fullmatch(path) is not None

    return test


def regex_source(glob: Glob) -> str:
    """A regular expression that fully matches exactly the paths `glob` matches.

    It follows gitignore piece by piece: a leading `**` is `(.+/)?`, an inner one `(/.+)?`, a
    trailing one `/.*`; a last segment also matches everything below it (`(/.*)?`), except a
    bare `*`, which names one entry and nothing under it.
    """
    last = len(glob.segments) - 1
    pieces: list[str] = []
    for index, segment in enumerate(glob.segments):
        if segment.is_globstar:
            pieces.append(_globstar_regex(index, last))
        else:
            pieces.append("/" if glob.separator_before(index) else "")
            pieces.append(_segment_regex(segment))
            if index == last:
                pieces.append("/?" if segment.text == STAR else "(?:/.*)?")
    return "".join(pieces)


def _globstar_regex(index: int, last: int) -> str:
    if index == 0:
        return ".*" if last == 0 else "(?:.+/)?"
    return "(?:/.+)?" if index < last else "/.*"


def _segment_regex(segment: Segment) -> str:
    if segment.text == STAR:
        return "[^/]+"
    return "".join(_token_regex(token) for token in segment.tokens)


def _token_regex(token: Token) -> str:
    if isinstance(token, Literal):
        return re.escape(token.text)
    if isinstance(token, AnyChar):
        return "[^/]"
    if isinstance(token, AnyRun):
        return "[^/]*"
    return _class_regex(token.chars)


def _class_regex(chars: CharSet) -> str:
    ranges = [
        f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}"
        for first, last in chars.intervals()
    ]
    return f"[{''.join(ranges)}]" if ranges else "(?!)"
