"""Does a pattern match a path? The gitignore semantics of SPEC §3 for one concrete path.

A pattern is compiled once into a predicate: a plain string comparison when it holds no
wildcard (`src/a.ts`, `package.json`, `src/auth/**`), else the pattern's automaton (the one
overlap searches) read as a deterministic automaton built lazily, one transition per new
(state, character). Reading a path is linear in its length: no backtracking, so no pattern can
make one path cost more than a few steps per character. The tests hold the answers to
pathspec's.
"""

from __future__ import annotations

from collections.abc import Callable

from coord_engine._automaton import Automaton, automaton_for
from coord_engine._cache import ByteBoundedCache
from coord_engine._compiled import glob_of
from coord_engine._glob import Glob
from coord_engine._paths import is_repo_path
from coord_engine.budget import MATCH_STEPS, Meter, Work
from coord_engine.patterns import literal_prefix

__all__ = ["is_repo_path", "matches"]

PathTest = Callable[[str, "Meter | None"], bool]
"""A compiled pattern's test of one repo path; the meter is created on demand when None."""

MAX_DFA_STATES = 256
"""States one pattern's lazy deterministic automaton may keep; past it paths are read on the
nondeterministic automaton directly (still linear, a few times slower)."""

MAX_DFA_TRANSITIONS = 2048
"""Transitions one pattern's lazy automaton may remember (what bounds its memory)."""

_START, _DEAD = 0, 1


def matches(pattern: str, path: str, work: Work | None = None) -> bool:
    """True when `pattern` matches the repo-relative `path` (or a directory above it).

    `pattern` should be canonical; any other spelling is normalised first and an invalid one
    raises `PatternError`. A `path` that is not a repo path (see `is_repo_path`) matches nothing.
    Reading the path costs at most `budget.MATCH_STEPS` steps (counted into `work.match`);
    past it `PatternTooComplex` is raised.
    """
    if not is_repo_path(path):
        return False
    if work is None:
        return _tests(pattern)(path, None)
    meter = _match_meter(pattern, work)
    try:
        return _tests.get(pattern, lambda key: _compile_test(key, work))(path, meter)
    finally:
        meter.close()


def _match_meter(pattern: str, work: Work | None = None) -> Meter:
    return Meter(pattern, "matching steps for one path", MATCH_STEPS, work, "match")


def _compile_test(pattern: str, work: Work | None = None) -> PathTest:
    glob = glob_of(pattern)
    literal = _literal_test(glob)
    if literal is not None:
        return literal
    return _LazyDfa(pattern, automaton_for(pattern, work), _lead(pattern))


def _test_bytes(test: PathTest) -> int:
    return test.approximate_bytes() if isinstance(test, _LazyDfa) else 400


_tests = ByteBoundedCache(_compile_test, _test_bytes, max_bytes=64 * 1024 * 1024, max_entries=4096)


def _lead(pattern: str) -> str:
    """Text every path the glob matches starts with: its literal leading directories."""
    prefix = literal_prefix(pattern)
    return "/".join(prefix) + "/" if prefix else ""


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


def _everything(path: str, meter: Meter | None) -> bool:
    return True


def _named_anywhere(name: str) -> PathTest:
    def test(path: str, meter: Meter | None) -> bool:
        return (
            path == name
            or path.startswith(name + "/")
            or path.endswith("/" + name)
            or f"/{name}/" in path
        )

    return test


def _at_or_below(target: str) -> PathTest:
    def test(path: str, meter: Meter | None) -> bool:
        return path == target or path.startswith(target + "/")

    return test


def _below(directory: str) -> PathTest:
    def test(path: str, meter: Meter | None) -> bool:
        return path.startswith(directory)

    return test


class _LazyDfa:
    """A glob's automaton determinised on the fly while paths are read.

    A state is a set of the automaton's states, numbered on first sight; a row maps the
    characters seen so far to the next state. Most paths then cost one dictionary lookup per
    character. Sizes are capped (`MAX_DFA_STATES`, `MAX_DFA_TRANSITIONS`) so a hostile mix of
    paths cannot grow one pattern's table without bound.
    """

    __slots__ = ("_accepting", "_automaton", "_ids", "_lead", "_pattern", "_rows", "_sets",
                 "_start", "_transitions")  # fmt: skip

    def __init__(self, pattern: str, automaton: Automaton, lead: str) -> None:
        self._pattern = pattern
        self._automaton = automaton
        self._lead = lead
        self._sets: list[frozenset[int]] = []
        self._ids: dict[frozenset[int], int] = {}
        self._rows: list[dict[str, int]] = []
        self._accepting: list[bool] = []
        self._transitions = 0
        self._number(frozenset({0}))
        self._number(frozenset())
        self._start = self._number(automaton.run(lead)) if lead else _START

    def approximate_bytes(self) -> int:
        """What this matcher may come to hold once its table is full."""
        return (
            self._automaton.approximate_bytes() + 100 * MAX_DFA_TRANSITIONS + 400 * len(self._rows)
        )

    def __call__(self, path: str, meter: Meter | None) -> bool:
        lead = self._lead
        if not path.startswith(lead):
            return False
        if meter is None:
            if len(path) > MATCH_STEPS:  # what the meter would refuse; rarely needed otherwise
                _match_meter(self._pattern).spend(len(path))
        else:
            meter.spend(len(path))
        text = path[len(lead) :] if lead else path
        state, rows = self._start, self._rows
        try:
            # The hot loop: one lookup per character, nothing else.
            for char in text:
                state = rows[state][char]
        except KeyError:
            return self._read_learning(text, meter or _match_meter(self._pattern))
        return self._accepting[state]

    def _read_learning(self, text: str, meter: Meter) -> bool:
        """Read `text` again, adding the transitions the table lacks (at most twice the
        cost of a warm read, and rare once the table has seen a few paths)."""
        state, rows = self._start, self._rows
        for position, char in enumerate(text):
            target = rows[state].get(char)
            if target is None:
                target = self._add(state, char, meter)
                if target is None:  # the table is full: read the rest on the automaton
                    return self._read_rest(self._sets[state], text[position:], meter)
            state = target
        return self._accepting[state]

    def _number(self, states: frozenset[int]) -> int:
        number = self._ids.get(states)
        if number is None:
            number = len(self._sets)
            self._ids[states] = number
            self._sets.append(states)
            self._rows.append({})
            self._accepting.append(any(self._automaton.accepting[q] for q in states))
        return number

    def _add(self, state: int, char: str, meter: Meter) -> int | None:
        """The state after `state` on `char`, remembered; None once the table is full."""
        targets = self._automaton.run(char, self._sets[state], meter)
        known = self._ids.get(targets)
        if known is None and len(self._sets) >= MAX_DFA_STATES:
            return None
        if self._transitions >= MAX_DFA_TRANSITIONS:
            return None
        target = self._number(targets) if known is None else known
        self._rows[state][char] = target
        self._transitions += 1
        return target

    def _read_rest(self, states: frozenset[int], rest: str, meter: Meter) -> bool:
        final = self._automaton.run(rest, states, meter)
        return any(self._automaton.accepting[q] for q in final)
