"""Values of symbol extraction: one declaration, and the table of a file's declarations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from coord_engine.symbol_paths import SEPARATOR

SymbolKind = Literal[
    "class",
    "struct",
    "union",
    "interface",
    "trait",
    "protocol",
    "enum",
    "record",
    "annotation",
    "object",
    "impl",
    "extension",
    "namespace",
    "module",
    "type",
    "function",
    "method",
    "constructor",
    "property",
    "macro",
]

TYPE_KINDS: frozenset[str] = frozenset(
    {
        "class",
        "struct",
        "union",
        "interface",
        "trait",
        "protocol",
        "enum",
        "record",
        "annotation",
        "object",
        "impl",
        "extension",
    }
)
"""Kinds whose functions are methods: a function declared directly inside one is a `method`."""


@dataclass(frozen=True, slots=True)
class Symbol:
    """One declaration of a source file."""

    path: str
    """Canonical path, `Parent::child` at any depth (`Outer::Inner::method`)."""
    kind: SymbolKind
    """What was declared (`class`, `method`, `struct`, `impl`, ...)."""
    start_line: int
    """First line of the declaration, 1-based, including its decorators or attributes."""
    end_line: int
    """Last line of the declaration, 1-based and inclusive."""

    @property
    def name(self) -> str:
        """The last segment of the path: the declared name itself."""
        return self.path.rpartition(SEPARATOR)[2]

    @property
    def parent(self) -> str | None:
        """The path of the enclosing declaration, or None at the top level."""
        parent, separator, _ = self.path.rpartition(SEPARATOR)
        return parent if separator else None

    def contains(self, start_line: int, end_line: int) -> bool:
        """Whether the lines `start_line..end_line` (inclusive) lie inside this declaration."""
        return self.start_line <= start_line and end_line <= self.end_line


@dataclass(frozen=True, slots=True)
class SymbolTable:
    """Every declaration found in one file, in source order.

    A path can occur more than once: overloads, a property's getter and setter, a Rust type's
    `struct` and its `impl` blocks. `paths` lists each path once.
    """

    language: str
    """The language the file was parsed as (`python`, `typescript`, `go`, ...)."""
    symbols: tuple[Symbol, ...]
    """Every declaration occurrence, ordered by start line, parents before their children."""
    paths: tuple[str, ...] = field(init=False)
    """Each distinct symbol path once, in order of first occurrence."""
    _claimable: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        paths = tuple(dict.fromkeys(symbol.path for symbol in self.symbols))
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "_claimable", frozenset(_with_prefixes(paths)))

    def __contains__(self, path: object) -> bool:
        """Whether `path` names a declaration of the file or a `::`-prefix of one.

        A prefix counts because a Go file may hold methods of `Server` whose type is declared in
        another file of the package: claiming `Server` there still means those methods.
        """
        return path in self._claimable

    def occurrences(self, path: str) -> tuple[Symbol, ...]:
        """Every declaration occurrence of `path`, in source order."""
        return tuple(symbol for symbol in self.symbols if symbol.path == path)


def _with_prefixes(paths: tuple[str, ...]) -> set[str]:
    claimable: set[str] = set()
    for path in paths:
        segments = path.split(SEPARATOR)
        claimable.update(SEPARATOR.join(segments[:depth]) for depth in range(1, len(segments) + 1))
    return claimable
