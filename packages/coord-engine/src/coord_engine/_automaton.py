"""Patterns as finite automata over characters, restricted to valid repo paths.

Each pattern becomes an epsilon-free nondeterministic automaton whose edges carry symbolic
character sets, built piece by piece from the parse of `_glob`, as pathspec writes its regex.
It is then intersected with the automaton of valid repo paths, so every word it accepts is a
path a repository can hold; overlap and inclusion are searches over products of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from coord_engine._cache import ByteBoundedCache
from coord_engine._charset import ANY, CONTROL, DOT, NOT_SLASH, SLASH, CharSet, intersect
from coord_engine._compiled import glob_of
from coord_engine._glob import STAR, AnyChar, AnyRun, CharClass, Glob, Literal, Segment
from coord_engine._shapes import Named, Shape, Subtree, shape_of
from coord_engine.budget import COMPILE_STATES, Meter, Work

Edge = tuple[CharSet, int]


@dataclass(frozen=True, slots=True)
class Automaton:
    """An epsilon-free automaton whose state 0 is the start.

    Those from `path_automaton` are trimmed: every state can reach acceptance (apart from a lone
    start state when the language is empty).
    """

    edges: tuple[tuple[Edge, ...], ...]
    accepting: tuple[bool, ...]

    def accepts(self, text: str) -> bool:
        """True when some run over `text` ends in an accepting state."""
        return any(self.accepting[q] for q in self.run(text))

    def run(
        self, text: str, states: frozenset[int] = frozenset({0}), meter: Meter | None = None
    ) -> frozenset[int]:
        """The states some run from `states` over `text` ends in (empty once every run died).

        `meter` is charged one step per edge tried."""
        current, edges = set(states), self.edges
        for char in text:
            if not current:
                break
            if meter is not None:
                meter.spend(sum(len(edges[q]) for q in current))
            current = {target for q in current for label, target in edges[q] if char in label}
        return frozenset(current)

    def approximate_bytes(self) -> int:
        """A rough estimate of the memory this automaton holds, for byte-bounded caches."""
        edge_count = sum(len(out) for out in self.edges)
        return 200 + 120 * len(self.edges) + 100 * edge_count


def _repo_path_automaton() -> Automaton:
    """Paths made of non-empty segments, none of them `.` or `..`, without control characters."""
    name_char = ANY - SLASH - CONTROL
    plain_char = name_char - DOT
    segment_start, one_dot, two_dots, in_name = range(4)
    return Automaton(
        edges=(
            ((DOT, one_dot), (plain_char, in_name)),
            ((DOT, two_dots), (plain_char, in_name)),
            ((name_char, in_name),),
            ((name_char, in_name), (SLASH, segment_start)),
        ),
        accepting=(False, False, False, True),
    )


REPO_PATHS = _repo_path_automaton()
"""Every valid repo path."""

EMPTY_LANGUAGE = Automaton(edges=((),), accepting=(False,))
"""The automaton of a pattern no repo path can match (such as `a/[.]`)."""


def compile_pattern(pattern: str, work: Work | None = None) -> Automaton:
    """The repo paths `pattern` matches, as an automaton, compiled afresh.

    A wildcard-free pattern is built directly from its shape; a glob is translated and
    intersected with `REPO_PATHS`, at most `budget.COMPILE_STATES` states (charged to
    `work.compile`). Raises `PatternError` for an invalid pattern, `PatternTooComplex` past the
    budget.
    """
    shape = shape_of(pattern)
    if shape is not None:
        return _shape_automaton(shape)
    meter = Meter(pattern, "automaton states", COMPILE_STATES, work, "compile")
    try:
        return intersection(from_glob(glob_of(pattern)), REPO_PATHS, meter)
    finally:
        meter.close()


_COMPILED_BYTES = 64 * 1024 * 1024
_compiled = ByteBoundedCache(
    compile_pattern, Automaton.approximate_bytes, max_bytes=_COMPILED_BYTES, max_entries=4096
)


def path_automaton(pattern: str) -> Automaton:
    """`compile_pattern`, compiled once per pattern (a cache bounded in entries and bytes)."""
    return _compiled(pattern)


path_automaton.cache_info = _compiled.cache_info  # type: ignore[attr-defined]
path_automaton.cache_clear = _compiled.cache_clear  # type: ignore[attr-defined]


def automaton_for(pattern: str, work: Work | None) -> Automaton:
    """`path_automaton`, with a compilation (a cache miss) charged to `work`."""
    if work is None:
        return _compiled(pattern)
    return _compiled.get(pattern, lambda key: compile_pattern(key, work))


def _shape_automaton(shape: Shape) -> Automaton:
    """The automaton of a wildcard-free pattern, built without a product (linear in length).

    Its literal text is a repo path or segment already (`shape_of` checks), so only what may
    follow it needs the repo path automaton.
    """
    if isinstance(shape, Subtree):
        return _subtree_automaton(shape)
    return _named_automaton(shape)


def _chain(text: str, first: int) -> list[list[Edge]]:
    """States `first`, `first + 1`, ... spelling `text`, the last one with no edge yet."""
    return [[(CharSet.of_char(char), first + i + 1)] for i, char in enumerate(text)] + [[]]


def _repo_paths_at(offset: int) -> list[list[Edge]]:
    """A copy of `REPO_PATHS` numbered from `offset`."""
    return [[(label, target + offset) for label, target in out] for out in REPO_PATHS.edges]


def _subtree_automaton(subtree: Subtree) -> Automaton:
    root = subtree.path
    if not root:
        return REPO_PATHS
    edges = _chain(root, 0)
    below = len(edges)
    edges[-1].append((SLASH, below))
    edges.extend(_repo_paths_at(below))
    accepting = [False] * len(edges)
    accepting[below - 1] = subtree.includes_root
    accepting[-1] = True
    return Automaton(tuple(map(tuple, edges)), tuple(accepting))


def _named_automaton(named: Named) -> Automaton:
    """Segments read as `REPO_PATHS` reads them, until one of them is `name` at its start."""
    edges = [list(out) for out in REPO_PATHS.edges]
    segment_start, in_name = 0, 3
    edges[in_name].append((SLASH, segment_start))
    chain = _chain(named.name, len(edges) - 1)[1:]
    edges[segment_start].append((CharSet.of_char(named.name[0]), len(edges)))
    edges.extend(chain)
    below = len(edges)
    edges[-1].append((SLASH, below))
    edges.extend(_repo_paths_at(below))
    accepting = [False] * len(edges)
    accepting[below - 1] = accepting[-1] = True
    return Automaton(tuple(map(tuple, edges)), tuple(accepting))


@dataclass(slots=True)
class _Builder:
    """Collects states, labelled edges and epsilon links while a pattern is translated."""

    edges: list[list[Edge]] = field(default_factory=lambda: [[]])
    links: list[list[int]] = field(default_factory=lambda: [[]])
    accepting: set[int] = field(default_factory=set)

    def state(self) -> int:
        self.edges.append([])
        self.links.append([])
        return len(self.edges) - 1

    def step(self, source: int, label: CharSet) -> int:
        """A new state reached from `source` by one character of `label`."""
        target = self.state()
        self.edges[source].append((label, target))
        return target

    def loop(self, source: int, label: CharSet) -> int:
        """A new state reached from `source` by any run (possibly empty) of `label`."""
        target = self.state()
        self.links[source].append(target)
        self.edges[target].append((label, target))
        return target

    def anything_below(self, source: int) -> None:
        """Accept every extension of `source` past a `/`."""
        tail = self.step(source, SLASH)
        self.edges[tail].append((ANY, tail))
        self.accepting.add(tail)


def from_glob(glob: Glob) -> Automaton:
    """Translate a parsed pattern, mirroring the pieces of pathspec's regex (leading `**` is
    `(.+/)?`, inner `(/.+)?`, trailing `/.*`, directory coverage `(/.*)?`; untrimmed:
    states left behind by epsilon links stay, unreachable)."""
    builder = _Builder()
    current, last = 0, len(glob.segments) - 1
    for index, segment in enumerate(glob.segments):
        if segment.is_globstar:
            current = _add_globstar(builder, current, index, last)
            continue
        if glob.separator_before(index):
            current = builder.step(current, SLASH)
        current = _add_segment(builder, current, segment)
        if index == last:
            _add_ending(builder, current, segment)
    return _without_links(builder)


def _add_globstar(builder: _Builder, current: int, index: int, last: int) -> int:
    if index == last:
        # A lone `**` matches every path; a trailing one everything below the directory.
        if index == 0:
            builder.edges[current].append((ANY, current))
            builder.accepting.add(current)
        else:
            builder.anything_below(current)
        return current
    if index == 0:
        # `(.+/)?`: nothing, or any run of characters ending at a `/`.
        entry, join = builder.step(current, ANY), builder.state()
        builder.edges[entry].extend(((ANY, entry), (SLASH, join)))
    else:
        # `(/.+)?`: nothing, or a `/` and at least one more character.
        entry = builder.step(builder.step(current, SLASH), ANY)
        builder.edges[entry].append((ANY, entry))
        join = builder.state()
        builder.links[entry].append(join)
    builder.links[current].append(join)
    return join


def _add_segment(builder: _Builder, current: int, segment: Segment) -> int:
    if segment.text == STAR:
        # A whole-segment `*` needs at least one character.
        return builder.loop(builder.step(current, NOT_SLASH), NOT_SLASH)
    for token in segment.tokens:
        if isinstance(token, Literal):
            for char in token.text:
                current = builder.step(current, CharSet.of_char(char))
        elif isinstance(token, AnyChar):
            current = builder.step(current, NOT_SLASH)
        elif isinstance(token, AnyRun):
            current = builder.loop(current, NOT_SLASH)
        elif isinstance(token, CharClass):
            current = builder.step(current, token.chars)
    return current


def _add_ending(builder: _Builder, current: int, segment: Segment) -> None:
    if segment.text == STAR:
        # gitignore's `dir/*` names the entries of dir, not what lies below them.
        builder.accepting.add(current)
        builder.accepting.add(builder.step(current, SLASH))
    else:
        # Any other last segment names a file or a directory with everything below it.
        builder.accepting.add(current)
        builder.anything_below(current)


def _without_links(builder: _Builder) -> Automaton:
    """Fold epsilon links into edges: a state gets the edges and acceptance of its closure."""
    count = len(builder.edges)
    edges: list[list[Edge]] = []
    accepting: list[bool] = []
    for state in range(count):
        closure = _closure(builder.links, state)
        edges.append([edge for member in closure for edge in builder.edges[member]])
        accepting.append(any(member in builder.accepting for member in closure))
    # No trimming here: `intersection` only visits reachable states and trims its own result,
    # so trimming twice would cost a compile a fifth more for nothing.
    return Automaton(tuple(map(tuple, edges)), tuple(accepting))


def _closure(links: list[list[int]], state: int) -> set[int]:
    seen, pending = {state}, [state]
    while pending:
        for target in links[pending.pop()]:
            if target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def intersection(left: Automaton, right: Automaton, meter: Meter | None = None) -> Automaton:
    """The product automaton accepting the words both accept (reachable pairs only).

    `meter` is charged one step per state built."""
    index = {(0, 0): 0}
    order = [(0, 0)]
    edges: list[list[Edge]] = []
    for left_state, right_state in order:
        if meter is not None:
            meter.spend(1)
        out: list[Edge] = []
        for left_label, left_target in left.edges[left_state]:
            for right_label, right_target in right.edges[right_state]:
                label = intersect(left_label, right_label)
                if label:
                    pair = (left_target, right_target)
                    if pair not in index:
                        index[pair] = len(order)
                        order.append(pair)
                    out.append((label, index[pair]))
        edges.append(out)
    accepting = [left.accepting[a] and right.accepting[b] for a, b in order]
    return _trimmed(edges, accepting)


def _trimmed(edges: list[list[Edge]], accepting: list[bool]) -> Automaton:
    """Keep the states on some path from the start to acceptance, renumbered from 0,
    with parallel edges merged into one label."""
    useful = set(_reachable(_reversed(edges), [q for q, final in enumerate(accepting) if final]))
    if 0 not in useful:
        return EMPTY_LANGUAGE
    kept = [q for q in _reachable(edges, [0]) if q in useful]
    number = {state: position for position, state in enumerate(kept)}
    return Automaton(
        edges=tuple(_merged(edges[q], number) for q in kept),
        accepting=tuple(accepting[q] for q in kept),
    )


def _merged(edges: Iterable[Edge], number: dict[int, int]) -> tuple[Edge, ...]:
    labels: dict[int, CharSet] = {}
    for label, target in edges:
        kept = number.get(target)
        if kept is not None:
            # Unions are costly and most targets have a single edge: only merge real parallels.
            earlier = labels.get(kept)
            labels[kept] = label if earlier is None else earlier | label
    return tuple((label, target) for target, label in labels.items())


def _reversed(edges: list[list[Edge]]) -> list[list[Edge]]:
    backwards: list[list[Edge]] = [[] for _ in edges]
    for source, out in enumerate(edges):
        for label, target in out:
            backwards[target].append((label, source))
    return backwards


def _reachable(edges: list[list[Edge]], starts: list[int]) -> list[int]:
    """States reachable from `starts`, in discovery order (so the start stays first)."""
    seen = dict.fromkeys(starts)
    pending = list(starts)
    while pending:
        for _, target in edges[pending.pop()]:
            if target not in seen:
                seen[target] = None
                pending.append(target)
    return list(seen)
