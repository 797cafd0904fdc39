"""The structure of a canonical pattern: anchoring, segments, and the tokens inside a segment.

Both the matcher and the automaton builder read this structure, so the gitignore rules (when a
pattern is anchored, what `**` and a class mean) are decided in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from coord_engine._charset import CharSet

GLOBSTAR = "**"
"""A whole segment that spans any number of directories."""

STAR = "*"
"""A whole segment that names one entry (and, as the last segment, nothing below it)."""

_WILDCARDS = frozenset("*?[")


class GlobSyntaxError(ValueError):
    """A segment that is not a valid glob; `rule` names the broken rule."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Literal:
    """Characters matched as they are."""

    text: str


@dataclass(frozen=True, slots=True)
class AnyChar:
    """`?`: one character other than `/`."""


@dataclass(frozen=True, slots=True)
class AnyRun:
    """`*` inside a segment: any run of characters other than `/`, possibly empty."""


@dataclass(frozen=True, slots=True)
class CharClass:
    """`[...]` or `[!...]`: one character from `chars`.

    A negated class is the complement over all code points, `/` included: pathspec's gitignore
    flavour hands the class to a regular expression, where `[^a]` also matches `/`.
    """

    chars: CharSet


Token = Literal | AnyChar | AnyRun | CharClass


@dataclass(frozen=True, slots=True)
class Segment:
    """One `/`-separated part of a pattern and its tokens."""

    text: str
    tokens: tuple[Token, ...]

    @property
    def is_globstar(self) -> bool:
        """True for a whole-segment `**`."""
        return self.text == GLOBSTAR

    @property
    def is_literal(self) -> bool:
        """True when the segment holds no wildcard at all."""
        return all(isinstance(token, Literal) for token in self.tokens)


@dataclass(frozen=True, slots=True)
class Glob:
    """A canonical pattern ready to match.

    `anchored` is False for a single-segment pattern such as `*.ts`, which matches at any depth;
    its `segments` then start with an implied `**`, as gitignore reads it.
    """

    canonical: str
    anchored: bool
    segments: tuple[Segment, ...]

    def separator_before(self, index: int) -> bool:
        """Whether a `/` precedes the non-`**` segment at `index`: not before the first one,
        nor after a leading `**`, whose `(.+/)?` already ends in `/`."""
        return index > 1 or (index == 1 and not self.segments[0].is_globstar)


def parse_canonical(canonical: str) -> Glob:
    """Read a canonical pattern (see `normalize_pattern`) into segments."""
    rooted = canonical.startswith("/")
    texts = (canonical[1:] if rooted else canonical).split("/")
    anchored = rooted or len(texts) > 1 or texts[0] == GLOBSTAR
    if not anchored:
        texts.insert(0, GLOBSTAR)
    collapsed = [text for i, text in enumerate(texts) if not _repeats_globstar(texts, i)]
    return Glob(canonical, anchored, tuple(parse_segment(text) for text in collapsed))


def _repeats_globstar(texts: list[str], index: int) -> bool:
    """`**/**` means the same as `**`; the second one is dropped."""
    return index > 0 and texts[index] == GLOBSTAR and texts[index - 1] == GLOBSTAR


def parse_segment(text: str) -> Segment:
    """Split one segment into tokens; raises `GlobSyntaxError` for a broken class."""
    if text and _WILDCARDS.isdisjoint(text):
        # Most segments are plain names; they would come out as this one literal run anyway.
        return Segment(text, (Literal(text),))
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        token: Token
        if char == "[":
            token, index = _parse_class(text, index)
        else:
            token, index = _simple_token(char), index + 1
        _append_token(tokens, token)
    return Segment(text, tuple(tokens))


def _simple_token(char: str) -> Token:
    if char == "*":
        return AnyRun()
    if char == "?":
        return AnyChar()
    return Literal(char)


def _append_token(tokens: list[Token], token: Token) -> None:
    """Merge literal runs and repeated `*`, which match the same as one."""
    previous = tokens[-1] if tokens else None
    if isinstance(token, Literal) and isinstance(previous, Literal):
        tokens[-1] = Literal(previous.text + token.text)
    elif not (isinstance(token, AnyRun) and isinstance(previous, AnyRun)):
        tokens.append(token)


def _parse_class(text: str, start: int) -> tuple[CharClass, int]:
    """Parse the class opening at `text[start]`; return it and the index after its `]`.

    The closing `]` is found as gitignore finds it: a `]` right after `[` or `[!` is a member,
    and the first later `]` closes the class.
    """
    index = start + 1
    negated = index < len(text) and text[index] in "!^"
    body_start = index + 1 if negated else index
    index = body_start + 1 if text[body_start : body_start + 1] == "]" else body_start
    close = text.find("]", index)
    if close < 0:
        raise GlobSyntaxError(
            "unterminated_class", f"the class opened at character {start + 1} has no closing ]"
        )
    members = _class_members(text[body_start:close])
    return CharClass(members.complement() if negated else members), close + 1


def _class_members(body: str) -> CharSet:
    """Members of a class body: characters and `a-z` ranges; a `-` at either end is a member."""
    ranges: list[tuple[str, str]] = []
    index = 0
    while index < len(body):
        first = body[index]
        if index + 2 < len(body) and body[index + 1] == "-":
            last = body[index + 2]
            if last < first:
                raise GlobSyntaxError("bad_range", f"the range {first}-{last} runs backwards")
            ranges.append((first, last))
            index += 3
        else:
            ranges.append((first, first))
            index += 1
    return CharSet.of_ranges(ranges)
