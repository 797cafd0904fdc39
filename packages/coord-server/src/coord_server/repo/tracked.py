"""One listing of the tracked files, indexed so that a pattern only visits paths it could match.

The paths are kept sorted, so everything under a directory is one contiguous span of indices.
The index maps each file to its position, each directory to its span, and each entry name (the
last segment of a file or directory) to the spans of the entries so named. A pattern is first
turned into candidate spans:

- a wildcard-free pattern is answered by lookups alone: `src/a.ts`, `src/auth` (everything
  below it), `package.json` (at any depth); so is `dir/**`;
- a pattern with a literal prefix (`src/auth/*.ts`) only tests the paths under `src/auth`;
- a single-segment glob (`*.ts`, or its spelling `**/*.ts`), which matches at any depth, tests
  entry names instead of paths;
- only a pattern whose first segment is a wildcard otherwise (`*/a.ts`, `**/x/*.ts`), or a
  single-segment one holding a negated class (which can match a `/`), tests every path.

Matching itself is always `coord_engine.matching.matches`: the index only decides which paths
are worth asking about, so its answers are the engine's.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from coord_engine.matching import is_repo_path, matches
from coord_engine.patterns import literal_prefix
from coord_server.repo._compact import SEPARATOR, SortedPaths, SpanList

Span = tuple[int, int]
"""Half-open range of indices into the sorted paths."""

_WILDCARDS = frozenset("*?[")
_NEGATED_CLASS_OPENERS = ("[!", "[^")
_GLOBSTAR = "**"
_GLOBSTAR_PREFIX = _GLOBSTAR + "/"
_PACKED_SPANS = 8
"""A name with more spans than this keeps them in arrays (`f0.py` in every directory)."""


@dataclass(frozen=True, slots=True)
class _Candidates:
    """Where the paths a pattern matches can be."""

    spans: Iterable[Span]
    """Sorted, disjoint spans holding every match; a one-shot iterator unless `looked_up`."""
    exact: bool
    """True when every path in `spans` matches, so none needs testing."""
    looked_up: bool
    """True when `spans` came from lookups alone (a tuple), without scanning names or paths."""


_NOTHING = _Candidates((), exact=True, looked_up=True)


class TrackedFiles:
    """An immutable snapshot of the tracked files; patterns given to it must be canonical."""

    __slots__ = ("_dirs", "_lower_dirs", "_lower_files", "_lower_names", "_names", "_paths",
                 "total")  # fmt: skip

    def __init__(self, paths: Iterable[str]) -> None:
        # A path the engine would never match (control characters, `..`) cannot be claimed, so
        # it is left out rather than reported as matched by a literal lookup.
        ordered = sorted({path for path in paths if is_repo_path(path) and SEPARATOR not in path})
        index = _build_index(ordered)
        self._dirs, self._names = index.dirs, index.names
        # Only spellings with capitals need an entry: a lower-case path is its own lookup.
        self._lower_files = _lowered([path for path in ordered if path.lower() != path])
        self._lower_dirs = _lowered(list(self._dirs))
        self._lower_names = _lowered(list(self._names))
        self._paths = SortedPaths(ordered)
        self.total: int = len(self._paths)
        """Number of tracked files in view."""

    def count_matches(self, pattern: str, limit: int) -> int:
        """The number of tracked files `pattern` matches, or `limit + 1` when there are more.

        Counting stops as soon as the answer is known to exceed `limit`.
        """
        candidates = self._candidates(pattern)
        if candidates.exact and candidates.looked_up:
            return min(_size(candidates.spans), limit + 1)
        return self.count_union([pattern], limit)

    def matching(self, pattern: str, limit: int = 50) -> list[str]:
        """The first `limit` tracked files `pattern` matches, in sorted order."""
        found = islice(_indices(self._matching_spans(pattern)), limit)
        return [self._paths[index] for index in found]

    def matching_both(self, a: str, b: str, limit: int = 50) -> list[str]:
        """The first `limit` tracked files matched by both `a` and `b`, in sorted order."""
        first, second = self._candidates(a), self._candidates(b)
        if second.looked_up and not first.looked_up:
            first, second, a, b = second, first, b, a
        untested = [a] if not first.exact else []
        if first.looked_up and second.looked_up:
            spans: Iterable[Span] = _intersect(tuple(first.spans), tuple(second.spans))
            untested += [b] if not second.exact else []
        else:
            # Only `first` is walked; `second` would cost a scan of names or paths to list.
            spans = first.spans
            untested.append(b)
        found = (
            index
            for index in _indices(spans)
            if all(matches(pattern, self._paths[index]) for pattern in untested)
        )
        return [self._paths[index] for index in islice(found, limit)]

    def has_match(self, pattern: str) -> bool:
        """True when `pattern` matches at least one tracked file."""
        return next(self._unordered_spans(pattern), None) is not None

    def did_you_mean(self, pattern: str) -> str | None:
        """A tracked spelling of `pattern` differing only in letter case, or None.

        A wildcard-free pattern is looked up whole (`SRC/App.ts` -> `src/App.ts`, `makefile`
        -> `Makefile`); a glob has its literal directories corrected (`Src/*.ts` -> `src/*.ts`)
        when the corrected pattern matches. None as well when the spelling given exists.
        """
        name_pattern = _as_name_pattern(pattern)
        if name_pattern is not None:
            lead, body = pattern.removesuffix(name_pattern), name_pattern  # lead: "" or "**/"
            named = _is_literal(body) and body not in self._names
            spelled = self._lower_names.get(body.lower()) if named else None
        else:
            lead, body = ("/", pattern[1:]) if pattern.startswith("/") else ("", pattern)
            spelled = self._respell_path(body, literal_prefix(pattern) or ())
        return None if spelled is None or spelled == body else lead + spelled

    def count_union(self, patterns: Iterable[str], limit: int) -> int:
        """The number of tracked files matched by any of `patterns`, or `limit + 1` when more."""
        counter = _SpanCounter(limit)
        for pattern in patterns:
            if any(counter.passes_limit(span) for span in self._unordered_spans(pattern)):
                break
        return counter.count()

    def _unordered_spans(self, pattern: str) -> Iterator[Span]:
        """Spans of exactly the paths `pattern` matches, possibly overlapping, in any order.

        For a single-segment glob they come name by name as the names are tested, so a caller
        that needs only a few matches stops the scan of the names early.
        """
        name_pattern = _as_name_pattern(pattern)
        if name_pattern is not None and not _is_literal(name_pattern) and _by_name(name_pattern):
            return (span for spans in self._named(name_pattern) for span in spans)
        return self._matching_spans(pattern)

    def _matching_spans(self, pattern: str) -> Iterator[Span]:
        """Sorted, disjoint spans of exactly the paths `pattern` matches."""
        candidates = self._candidates(pattern)
        if candidates.exact:
            return iter(candidates.spans)
        return (
            (index, index + 1)
            for index in _indices(candidates.spans)
            if matches(pattern, self._paths[index])
        )

    def _candidates(self, pattern: str) -> _Candidates:
        name_pattern = _as_name_pattern(pattern)
        if name_pattern is not None:
            return self._name_candidates(name_pattern)
        body = pattern.removeprefix("/")
        if _is_literal(body):
            span = self._entry_span(body)
            return _Candidates((span,), exact=True, looked_up=True) if span else _NOTHING
        prefix = literal_prefix(pattern) or ()
        if not prefix:
            return self._every_path(exact=body == _GLOBSTAR)
        directory = "/".join(prefix)
        span = self._dirs.get(directory)
        if span is None:
            return _NOTHING
        return _Candidates((span,), exact=body == directory + "/**", looked_up=True)

    def _name_candidates(self, name_pattern: str) -> _Candidates:
        if _is_literal(name_pattern):
            return _Candidates(self._names.get(name_pattern, ()), exact=True, looked_up=True)
        if not _by_name(name_pattern):
            return self._every_path(exact=False)
        # The names are tested when the spans are first read, not when the plan is made.
        return _Candidates(_union(self._named(name_pattern)), exact=True, looked_up=False)

    def _named(self, name_pattern: str) -> Iterator[Sequence[Span]]:
        """The spans of each entry name `name_pattern` matches, tested lazily."""
        return (spans for name, spans in self._names.items() if matches(name_pattern, name))

    def _every_path(self, exact: bool) -> _Candidates:
        """Every path: the answer for `**` (exact), else what a pattern tests without a prefix."""
        spans = ((0, self.total),) if self.total else ()
        return _Candidates(spans, exact=exact, looked_up=exact)

    def _entry_span(self, path: str) -> Span | None:
        position = self._paths.position(path)
        if position is not None:
            return (position, position + 1)
        return self._dirs.get(path)

    def _spelled_entry(self, lowered: str) -> str | None:
        """The first tracked file, else directory, spelled `lowered` but for letter case."""
        capitalised = self._lower_files.get(lowered)
        if self._paths.position(lowered) is not None:
            return lowered if capitalised is None else min(capitalised, lowered)
        return capitalised if capitalised is not None else self._lower_dirs.get(lowered)

    def _respell_path(self, body: str, prefix: tuple[str, ...]) -> str | None:
        if _is_literal(body):
            exists = self._entry_span(body) is not None
            return None if exists else self._spelled_entry(body.lower())
        directory = "/".join(prefix)
        if not prefix or directory in self._dirs or not body.startswith(directory + "/"):
            return None
        spelled = self._spelled_entry(directory.lower())
        if spelled is None:
            return None
        candidate = spelled + body[len(directory) :]
        return candidate if self.has_match(candidate) else None


def _as_name_pattern(pattern: str) -> str | None:
    """The single segment a pattern tests at any depth (`*.ts` and `**/*.ts` -> `*.ts`), if any.

    gitignore reads `**/x` exactly as `x`, and the engine parses both to the same segments.
    """
    if literal_prefix(pattern) is None:
        return pattern
    if not pattern.startswith(_GLOBSTAR_PREFIX):
        return None
    rest = pattern.removeprefix(_GLOBSTAR_PREFIX)
    return None if "/" in rest or rest == _GLOBSTAR else rest


def _by_name(name_pattern: str) -> bool:
    """True when a single-segment pattern can be decided on entry names: it matches a path
    exactly when it matches one of its segments, unless a negated class matches a `/`."""
    return not any(opener in name_pattern for opener in _NEGATED_CLASS_OPENERS)


@dataclass(frozen=True, slots=True)
class _Index:
    dirs: dict[str, Span]
    """Directory path -> the span of every file below it."""
    names: dict[str, Sequence[Span]]
    """Entry name -> sorted, disjoint spans of the files and directories so named."""


def _build_index(paths: Sequence[str]) -> _Index:
    """One pass over the sorted paths; a directory's span closes at the first path outside it."""
    dirs: dict[str, Span] = {}
    names: defaultdict[str, list[Span]] = defaultdict(list)
    open_dirs: list[tuple[str, str, int]] = []  # (name, path, first index), outermost first
    previous_parent: str | None = None
    for position, path in enumerate(paths):
        parent, _, name = path.rpartition("/")
        if parent != previous_parent:  # siblings, the common case, share all the work below
            parts = parent.split("/") if parent else []
            depth = _shared_depth(open_dirs, parts)
            _close_dirs(open_dirs, depth, position, dirs, names)
            for part in parts[depth:]:
                above = open_dirs[-1][1] + "/" if open_dirs else ""
                open_dirs.append((part, above + part, position))
            previous_parent = parent
        names[name].append((position, position + 1))
    _close_dirs(open_dirs, 0, len(paths), dirs, names)
    # A directory's span is recorded when it closes, after the files inside it: sort them.
    merged: dict[str, Sequence[Span]] = {
        name: _packed(spans if len(spans) == 1 else _merged(spans)) for name, spans in names.items()
    }
    return _Index(dirs, merged)


def _packed(spans: list[Span]) -> Sequence[Span]:
    return SpanList(spans) if len(spans) > _PACKED_SPANS else tuple(spans)


def _shared_depth(open_dirs: list[tuple[str, str, int]], parts: list[str]) -> int:
    depth = 0
    limit = min(len(open_dirs), len(parts))
    while depth < limit and open_dirs[depth][0] == parts[depth]:
        depth += 1
    return depth


def _close_dirs(
    open_dirs: list[tuple[str, str, int]],
    keep: int,
    end: int,
    dirs: dict[str, Span],
    names: defaultdict[str, list[Span]],
) -> None:
    while len(open_dirs) > keep:
        name, path, start = open_dirs.pop()
        dirs[path] = (start, end)
        names[name].append((start, end))


def _lowered(spellings: Sequence[str]) -> dict[str, str]:
    """Lower-cased spelling -> its first spelling in `spellings` (so the choice is stable)."""
    return {spelling.lower(): spelling for spelling in reversed(spellings)}


def _is_literal(pattern: str) -> bool:
    return _WILDCARDS.isdisjoint(pattern)


def _indices(spans: Iterable[Span]) -> Iterator[int]:
    for start, end in spans:
        yield from range(start, end)


def _size(spans: Iterable[Span]) -> int:
    return sum(end - start for start, end in spans)


class _SpanCounter:
    """Counts the indices covered by spans that may overlap, up to one past `limit`.

    Overlaps are merged away only once the running total passes the limit, and only when the
    list has doubled since the last merge, so a long input costs linear time overall.
    """

    __slots__ = ("_counted", "_limit", "_merged_length", "_spans")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._spans: list[Span] = []
        self._counted = 0
        self._merged_length = 0

    def passes_limit(self, span: Span) -> bool:
        """Add `span`; True once more than `limit` indices are known to be covered."""
        self._spans.append(span)
        self._counted += span[1] - span[0]
        if self._counted <= self._limit or len(self._spans) < 2 * self._merged_length:
            return False
        self._spans = _merged(self._spans)
        self._counted, self._merged_length = _size(self._spans), len(self._spans)
        return self._counted > self._limit

    def count(self) -> int:
        """Indices covered, or `limit + 1` when more."""
        return min(_size(_merged(self._spans)), self._limit + 1)


def _merged(spans: list[Span]) -> list[Span]:
    return list(_union([sorted(spans)]))


def _union(sorted_lists: Iterable[Sequence[Span]]) -> Iterator[Span]:
    """Sorted, disjoint spans covering every span of several lists each sorted by start."""
    current: Span | None = None
    for start, end in heapq.merge(*sorted_lists):
        # Only overlapping spans are joined: joining adjacent ones too would read the whole
        # input before the first span comes out, and callers often need only the first few.
        if current is not None and start < current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            yield current
        current = (start, end)
    if current is not None:
        yield current


def _intersect(first: Sequence[Span], second: Sequence[Span]) -> Iterator[Span]:
    """Indices in both of two sorted, disjoint span lists."""
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            yield (start, end)
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
