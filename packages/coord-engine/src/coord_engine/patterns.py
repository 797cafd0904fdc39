"""Claim patterns on intake: normalisation to one canonical spelling, and the rejection rules.

Every pattern is normalised before anything else looks at it (SPEC §3), so two spellings of the
same scope (`src\\auth\\`, `./src/auth/`, `src//auth/**`) are stored, compared and indexed as one
string. docs/patterns.md gives the full semantics.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from coord_engine._glob import (
    GLOBSTAR,
    GlobSyntaxError,
    Literal,
    Segment,
    parse_canonical,
    parse_segment,
)

MAX_PATTERN_CHARS = 1024
"""Longest pattern accepted, as sent and once canonical."""

MAX_PATTERN_SEGMENTS = 64
"""Most `/`-separated segments a canonical pattern may have."""

MAX_SEGMENT_WILDCARDS = 8
"""Most wildcards (`*`, `?`, a `[...]` class) in one segment; a run of `*` counts once."""

MAX_PATTERN_WILDCARDS = 16
"""Most wildcards in a whole canonical pattern, each `**` segment counting as one."""

MAX_GLOB_CHARS = 256
"""Longest canonical pattern that holds a wildcard (a wildcard-free one may be 1024 long)."""

_WILDCARDS = frozenset("*?[")


class PatternError(ValueError):
    """A claim pattern that breaks a rule of SPEC §3; the server answers 400 `invalid_pattern`."""

    def __init__(self, pattern: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.pattern = pattern
        """The pattern as it was sent."""
        self.rule = rule
        """Short name of the broken rule (`empty`, `negation`, `dotdot`, ...)."""
        self.message = message
        """What was wrong with the pattern and how to write it instead."""


class PatternTooComplex(PatternError):  # noqa: N818 - a kind of PatternError, named by what it says
    """A pattern whose checks would cost more than coord spends on one; HTTP 400
    `pattern_too_complex`.

    Raised on intake for a pattern over one of the wildcard limits, and by any overlap,
    inclusion or matching step that would explore more than its work budget.
    """

    def __init__(self, pattern: str, what: str, limit: int, request_bound: bool = False) -> None:
        shown = pattern if len(pattern) <= 100 else pattern[:100] + "..."
        message = (
            f"this request's pattern checks ran past their work limit ({limit} weighted steps "
            f"for one request) at pattern {shown!r}; send fewer patterns per request (split the "
            "batch), or narrower ones"
            if request_bound
            else f"pattern {shown!r} is too complex: {what} is over the limit of {limit}; use "
            "fewer wildcards (claim the directory, or list the files) and keep globs short"
        )
        super().__init__(pattern, "too_complex", message)
        self.what = what
        """What grew too large (`wildcards in one segment`, `overlap search steps`, ...)."""
        self.limit = limit
        """The limit it went past."""
        self.request_bound = request_bound
        """True when the request's total ran out (`budget.Work.limit`), not this pattern's own
        budget: the same check may pass in a smaller request."""


def _reject(pattern: str, rule: str, problem: str, fix: str) -> PatternError:
    shown = pattern if len(pattern) <= 100 else pattern[:100] + "..."
    return PatternError(pattern, rule, f"invalid pattern {shown!r} ({rule}): {problem}; {fix}")


def normalize_pattern(raw: str) -> str:
    """Return the canonical form of `raw`, or raise `PatternError` naming the broken rule.

    `\\` becomes `/`, trailing whitespace goes, repeated `/` collapse, `.` segments (a leading
    `./` among them) are dropped, a trailing `/` becomes `/**`, `**/**` becomes `**`, and a
    leading `/` stays only where it changes what the pattern matches (`/package.json`).
    """
    if _already_canonical(raw):
        return raw
    return _normalize(raw)


def _already_canonical(raw: str) -> bool:
    """True for the common spelling that normalisation returns unchanged and every rule accepts.

    A sufficient condition, cheap to test: printable (so no control character), no `\\`, no
    class (the only segment syntax that can be broken), no empty, `.` or `..` segment (so no
    leading, trailing or doubled `/`), no `**/**`, no trailing whitespace, no leading `!` or
    `#`, within the limits. Anything else takes the full path through `_normalize`.
    """
    if not raw or len(raw) > MAX_PATTERN_CHARS or raw[0] in "!#" or raw[-1].isspace():
        return False
    if "\\" in raw or "[" in raw or "**/**" in raw or not raw.isprintable():
        return False
    wildcards = raw.count("*") + raw.count("?")
    if wildcards > MAX_SEGMENT_WILDCARDS or (wildcards and len(raw) > MAX_GLOB_CHARS):
        return False  # possibly over a wildcard limit: the full check counts them exactly
    parts = raw.split("/")
    return (
        len(parts) <= MAX_PATTERN_SEGMENTS
        and "" not in parts
        and "." not in parts
        and ".." not in parts
    )


def _normalize(raw: str) -> str:
    _check_raw(raw)
    text = raw.replace("\\", "/").rstrip()
    parts = text.split("/")
    segments = [part for part in parts if part not in ("", ".")]
    if ".." in segments:
        raise _reject(
            raw, "dotdot", "a '..' segment leaves the directory it names", "name the path directly"
        )
    if parts[-1] in ("", ".") or not segments:
        segments.append(GLOBSTAR)
    segments = [seg for i, seg in enumerate(segments) if not _doubled_globstar(segments, i)]
    canonical = "/".join(segments)
    if text.startswith("/") and _root_slash_matters(segments):
        canonical = "/" + canonical
    _check_canonical(raw, canonical, segments)
    return canonical


def _doubled_globstar(segments: list[str], index: int) -> bool:
    return index > 0 and segments[index] == GLOBSTAR and segments[index - 1] == GLOBSTAR


def _root_slash_matters(segments: list[str]) -> bool:
    """A leading `/` anchors a single segment, and keeps `!x/y` or `#x/y` from being special."""
    single = len(segments) == 1 and segments[0] != GLOBSTAR
    return single or segments[0][0] in "!#"


def _check_raw(raw: str) -> None:
    if not raw.strip():
        raise _reject(raw, "empty", "the pattern is empty", "name a file, a directory or a glob")
    if len(raw) > MAX_PATTERN_CHARS:
        raise _too_long(raw, len(raw))
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise _reject(
            raw, "control_char", "it contains a control character", "remove it (NUL, tab, newline)"
        )


def _too_long(raw: str, length: int) -> PatternError:
    return _reject(
        raw,
        "too_long",
        f"it is {length} characters long, the limit is {MAX_PATTERN_CHARS}",
        "claim a parent directory instead",
    )


def _check_canonical(raw: str, canonical: str, segments: list[str]) -> None:
    if canonical[0] == "!":
        raise _reject(
            raw,
            "negation",
            "a leading '!' negates a pattern, and claims cannot be negated",
            "claim the paths you need; for a file whose name starts with '!', write '/!name'"
            " (at the root) or '**/!name' (at any depth)",
        )
    if canonical[0] == "#":
        raise _reject(
            raw,
            "comment",
            "a leading '#' makes a gitignore comment that matches nothing",
            "for a file whose name starts with '#', write '/#name' (at the root) or '**/#name'"
            " (at any depth)",
        )
    if len(canonical) > MAX_PATTERN_CHARS:
        raise _too_long(raw, len(canonical))
    if len(segments) > MAX_PATTERN_SEGMENTS:
        raise _reject(
            raw,
            "too_many_segments",
            f"it has {len(segments)} segments, the limit is {MAX_PATTERN_SEGMENTS}",
            "claim a parent directory instead",
        )
    parsed = [_check_segment(raw, segment) for segment in segments]
    _check_wildcards(raw, canonical, parsed)


def _check_segment(raw: str, segment: str) -> Segment:
    try:
        return parse_segment(segment)
    except GlobSyntaxError as error:
        fix = (
            "close it with ']' (a ']' right after '[' or '[!' is a member, not the end)"
            if error.rule == "unterminated_class"
            else "write the range low-high"
        )
        raise _reject(raw, error.rule, f"in segment {segment!r}, {error.detail}", fix) from None


def _check_wildcards(raw: str, canonical: str, segments: list[Segment]) -> None:
    """The intake limits that keep every later check of the pattern within its work budget."""
    counts = [wildcard_count(segment) for segment in segments]
    busiest = max(counts)
    if busiest > MAX_SEGMENT_WILDCARDS:
        raise PatternTooComplex(raw, f"{busiest} wildcards in one segment", MAX_SEGMENT_WILDCARDS)
    if sum(counts) > MAX_PATTERN_WILDCARDS:
        raise PatternTooComplex(raw, f"{sum(counts)} wildcards", MAX_PATTERN_WILDCARDS)
    if busiest and len(canonical) > MAX_GLOB_CHARS:
        raise PatternTooComplex(raw, f"a glob of {len(canonical)} characters", MAX_GLOB_CHARS)


def wildcard_count(segment: Segment) -> int:
    """Wildcards in a parsed segment: `**` and each `*` run, `?` and class count one."""
    if segment.is_globstar:
        return 1
    return sum(not isinstance(token, Literal) for token in segment.tokens)


@lru_cache(maxsize=4096)
def literal_prefix(pattern: str) -> tuple[str, ...] | None:
    """The literal leading segments of an anchored pattern, for the claim index.

    `src/auth/*.ts` -> `("src", "auth")`, `src/a.ts` -> `("src", "a.ts")`, `/package.json` ->
    `("package.json",)`; `()` when the first segment already holds a wildcard (`*/x`, `**`);
    None for a pattern that matches at any depth (`*.ts`). Every path a pattern matches starts
    with its prefix, so two patterns can only overlap when one prefix extends the other.
    """
    if _already_canonical(pattern):
        # The segments are the pattern's own `/`-separated parts, and it is anchored unless it
        # is a single segment other than `**` (as `parse_canonical` reads it).
        parts = pattern.split("/")
        if len(parts) == 1 and pattern != GLOBSTAR:
            return None
        return _literal_run(parts)
    glob = parse_canonical(normalize_pattern(pattern))
    if not glob.anchored:
        return None
    return _literal_run([segment.text for segment in glob.segments])


def _literal_run(segments: list[str]) -> tuple[str, ...]:
    """The segments before the first one holding a wildcard."""
    for index, segment in enumerate(segments):
        if not _WILDCARDS.isdisjoint(segment):
            return tuple(segments[:index])
    return tuple(segments)
