"""owners.yaml: ownership areas, shared files and suggested splits (SPEC §8).

The parser walks the node tree of PyYAML's safe composer instead of loaded values, so that every
error names the line it came from, a repeated key is refused instead of silently overwriting the
first, and the markers coord keeps in comments can be read next to the entry they belong to.
Patterns are stored canonical (`normalize_pattern`), so comparisons elsewhere are plain equality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

import yaml

from coord_engine.overlap import overlaps
from coord_engine.patterns import PatternError, PatternTooComplex, normalize_pattern
from coord_protocol.timestamps import as_utc
from coord_protocol.vocab import Severity

AUTO_PROMOTED: Final = "auto-promoted"
"""Marker name for entries coord promoted itself: `# auto-promoted=YYYY-MM-DD`."""

PERMANENT_MARKER: Final = "coord-managed=permanent"
"""Marker an operator adds to pin an entry against auto-demotion."""

MAX_DEPTH: Final = 32
"""Deepest nesting of mappings and sequences accepted; the format itself needs five levels."""

MAX_NODES: Final = 5_000
"""Most YAML nodes (keys, values, entries) one document may hold."""

_AREA_SECTIONS: Final = ("areas", "modules")
_TOP_KEYS: Final = (*_AREA_SECTIONS, "shared_files", "suggested_splits")
_AREA_KEYS: Final = ("paths", "owners", "severity")
_SPLIT_KEYS: Final = ("pattern", "suggested_at", "note")

_TAG_PREFIX: Final = "tag:yaml.org,2002:"
_KIND_OF_TAG: Final = {
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "timestamp": "a date",
    "null": "nothing",
}

_COMMENT = re.compile(r"[ \t]+#([^\n]*)")
_MARKER = re.compile(r"(?<![\w-])(auto-promoted|coord-managed)=([\w-]*)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class OwnersRule(StrEnum):
    """Which rule of the owners.yaml format a document broke."""

    SYNTAX = "yaml_syntax"
    ALIAS = "alias"
    DOCUMENT = "document"
    UNKNOWN_KEY = "unknown_key"
    DUPLICATE_KEY = "duplicate_key"
    DUPLICATE_ENTRY = "duplicate_entry"
    TYPE = "type"
    REQUIRED = "required"
    SEVERITY = "severity"
    PATTERN = "pattern"
    MARKER = "marker"
    TIMESTAMP = "timestamp"
    DEPTH = "too_deep"
    SIZE = "too_large"


class OwnersError(ValueError):
    """An owners.yaml document coord cannot use; the message names the line, key, rule and fix."""

    def __init__(self, message: str, *, line: int | None, rule: OwnersRule) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = str(self)
        self.line = line
        """1-based line of the offending node, when the YAML parser knows it."""
        self.rule = rule


@dataclass(frozen=True, slots=True)
class Area:
    """An ownership area: who owns which paths, and how strongly (`hard` is reported on claims)."""

    name: str
    paths: tuple[str, ...]
    owners: tuple[str, ...] = ()
    severity: Severity = Severity.SOFT


@dataclass(frozen=True, slots=True)
class SharedFileEntry:
    """One `shared_files` entry with the markers read from the comment on its line."""

    pattern: str
    auto_promoted: date | None = None
    """The date in `# auto-promoted=DATE`: coord added this entry and may remove it again."""
    permanent: bool = False
    """`# coord-managed=permanent`: the operator pinned it; auto-demote never removes it."""

    @property
    def demotable(self) -> bool:
        """True when auto-demote may remove this entry: auto-promoted and not pinned."""
        return self.auto_promoted is not None and not self.permanent


@dataclass(frozen=True, slots=True)
class SuggestedSplit:
    """A `suggested_splits` entry: a file worth splitting into modules."""

    pattern: str
    suggested_at: datetime | None = None
    """UTC time of the suggestion."""
    note: str | None = None


@dataclass(frozen=True, slots=True)
class OwnersConfig:
    """A parsed owners.yaml; the empty document is the empty configuration."""

    areas: tuple[Area, ...] = ()
    shared_files: tuple[SharedFileEntry, ...] = ()
    suggested_splits: tuple[SuggestedSplit, ...] = ()

    def hard_patterns(self) -> tuple[str, ...]:
        """The paths of every `hard` area, in document order, each once."""
        hard = (p for area in self.areas if area.severity is Severity.HARD for p in area.paths)
        return tuple(dict.fromkeys(hard))

    def shared_patterns(self) -> tuple[str, ...]:
        """The `shared_files` patterns, in document order."""
        return tuple(entry.pattern for entry in self.shared_files)

    def severity_for(self, pattern: str) -> Severity:
        """`hard` when some hard area's path overlaps the canonical `pattern`, else `soft`."""
        hard = any(_maybe_overlaps(path, pattern) for path in self.hard_patterns())
        return Severity.HARD if hard else Severity.SOFT

    def shared_entry(self, pattern: str) -> SharedFileEntry | None:
        """The `shared_files` entry whose canonical pattern equals `pattern`, if any."""
        return next((e for e in self.shared_files if e.pattern == pattern), None)

    def split_entry(self, pattern: str) -> SuggestedSplit | None:
        """The `suggested_splits` entry whose canonical pattern equals `pattern`, if any."""
        return next((s for s in self.suggested_splits if s.pattern == pattern), None)


def auto_promoted_marker(day: date) -> str:
    """The comment marker coord writes on an entry it promoted on `day`."""
    return f"{AUTO_PROMOTED}={day.isoformat()}"


def parse_owners(text: str) -> OwnersConfig:
    """Parse and validate owners.yaml `text`; raises `OwnersError` naming the line and the rule."""
    root = _compose(text)
    if root is None or _is_null(root):
        return OwnersConfig()
    if not isinstance(root, yaml.MappingNode):
        raise _error(
            root,
            OwnersRule.DOCUMENT,
            f"the top level must be a mapping with the keys {_listing(_TOP_KEYS)}, "
            f"got {_describe(root)}",
        )
    sections = _keyed(root, "")
    _check_keys(sections, _TOP_KEYS, "")
    return OwnersConfig(
        areas=_areas(sections),
        shared_files=_shared_files(text, sections.get("shared_files")),
        suggested_splits=_suggested_splits(sections.get("suggested_splits")),
    )


_Pair = tuple[yaml.ScalarNode, yaml.Node]


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, refusing aliases and documents too deep or too large.

    An alias (`*name`) repeated could make a small document expand into a huge one, and
    owners.yaml never needs one. The composer recurses once per nesting level, so a document
    nested thousands deep would exhaust the stack: depth and node count are checked before each
    node is composed.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.AliasEvent = self.peek_event()  # type: ignore[no-untyped-call]
            raise _refusal(
                event,
                OwnersRule.ALIAS,
                f"the alias *{event.anchor} repeats another part of the document; coord does "
                "not read aliases in owners.yaml: write the value out",
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _refusal(
                self.peek_event(),  # type: ignore[no-untyped-call]
                OwnersRule.SIZE,
                f"the document has more than {MAX_NODES} entries, keys and values, the most "
                "coord reads; split it or remove entries",
            )
        if self._depth >= MAX_DEPTH:
            raise _refusal(
                self.peek_event(),  # type: ignore[no-untyped-call]
                OwnersRule.DEPTH,
                f"the document nests deeper than {MAX_DEPTH} levels, the most coord reads "
                "(owners.yaml needs five): remove the extra nesting",
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _refusal(event: yaml.Event, rule: OwnersRule, message: str) -> OwnersError:
    mark = event.start_mark
    return OwnersError(message, line=None if mark is None else mark.line + 1, rule=rule)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_BoundedLoader)
    except yaml.MarkedYAMLError as exc:
        line = None if exc.problem_mark is None else exc.problem_mark.line + 1
        detail = " ".join(part for part in (exc.context, exc.problem) if part)
        raise OwnersError(
            f"not valid YAML: {detail}; fix the syntax there", line=line, rule=OwnersRule.SYNTAX
        ) from exc
    except yaml.YAMLError as exc:
        raise OwnersError(f"not valid YAML: {exc}", line=None, rule=OwnersRule.SYNTAX) from exc


def _areas(sections: dict[str, _Pair]) -> tuple[Area, ...]:
    present = [name for name in _AREA_SECTIONS if name in sections]
    if len(present) == 2:
        raise _error(
            sections["modules"][0],
            OwnersRule.DUPLICATE_KEY,
            "'areas' and 'modules' name the same section; keep one of them",
        )
    if not present:
        return ()
    section = present[0]
    fields = _keyed_or_empty(sections[section][1], section)
    return tuple(_area(section, name, value) for name, (_, value) in fields.items())


def _area(section: str, name: str, node: yaml.Node) -> Area:
    where = f"{section}.{name}"
    if not isinstance(node, yaml.MappingNode):
        raise _error(
            node,
            OwnersRule.TYPE,
            f"{where} must be a mapping with {_listing(_AREA_KEYS)}, got {_describe(node)}",
        )
    fields = _keyed(node, where)
    _check_keys(fields, _AREA_KEYS, where)
    paths_node = fields.get("paths")
    paths = () if paths_node is None else _patterns(paths_node[1], f"{where}.paths")
    if not paths:
        raise _error(
            node if paths_node is None else paths_node[1],
            OwnersRule.REQUIRED,
            f'{where} needs at least one pattern under paths, e.g. paths: ["src/{name}/**"]',
        )
    owners_node = fields.get("owners")
    owners = () if owners_node is None else _strings(owners_node[1], f"{where}.owners")
    return Area(name, paths, owners, _severity(fields.get("severity"), where))


def _severity(pair: _Pair | None, where: str) -> Severity:
    if pair is None or _is_null(pair[1]):
        return Severity.SOFT
    node = pair[1]
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    if isinstance(value, str) and value in Severity.__members__.values():
        return Severity(value)
    got = repr(value) if isinstance(value, str) else _describe(node)
    raise _error(node, OwnersRule.SEVERITY, f"{where}.severity must be 'soft' or 'hard', got {got}")


def _shared_files(text: str, pair: _Pair | None) -> tuple[SharedFileEntry, ...]:
    items = [] if pair is None else _items(pair[1], "shared_files")
    block = pair is not None and isinstance(pair[1], yaml.SequenceNode) and not pair[1].flow_style
    entries = tuple(
        _shared_entry(text, node, f"shared_files[{i}]", block) for i, node in enumerate(items)
    )
    _refuse_repeats([e.pattern for e in entries], items, "shared_files")
    return entries


def _shared_entry(text: str, node: yaml.Node, where: str, block: bool) -> SharedFileEntry:
    pattern = _pattern(node, where)
    # Markers are only read in block style, where an entry owns its line's comment.
    comment = _trailing_comment(text, node.end_mark.index) if block else None
    if comment is None:
        return SharedFileEntry(pattern)
    auto_promoted: date | None = None
    permanent = False
    for name, value in _MARKER.findall(comment):
        if name == AUTO_PROMOTED:
            auto_promoted = _marker_date(value, node, where)
        elif value == "permanent":
            permanent = True
        else:
            raise _error(
                node,
                OwnersRule.MARKER,
                f"{where} has the marker 'coord-managed={value}'; its only value is "
                f"'permanent' (write # {PERMANENT_MARKER})",
            )
    return SharedFileEntry(pattern, auto_promoted, permanent)


def _trailing_comment(text: str, end: int) -> str | None:
    line_end = text.find("\n", end)
    match = _COMMENT.match(text, end, len(text) if line_end < 0 else line_end)
    return None if match is None else match.group(1)


def _marker_date(value: str, node: yaml.Node, where: str) -> date:
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _error(
        node,
        OwnersRule.MARKER,
        f"{where} has the marker '{AUTO_PROMOTED}={value}', which is not a date; "
        f"write {AUTO_PROMOTED}=YYYY-MM-DD",
    )


def _suggested_splits(pair: _Pair | None) -> tuple[SuggestedSplit, ...]:
    items = [] if pair is None else _items(pair[1], "suggested_splits")
    splits = tuple(_split(node, f"suggested_splits[{i}]") for i, node in enumerate(items))
    _refuse_repeats([s.pattern for s in splits], items, "suggested_splits")
    return splits


def _split(node: yaml.Node, where: str) -> SuggestedSplit:
    if isinstance(node, yaml.ScalarNode):
        return SuggestedSplit(_pattern(node, where))
    if not isinstance(node, yaml.MappingNode):
        raise _error(
            node,
            OwnersRule.TYPE,
            f"{where} must be a pattern or a mapping with {_listing(_SPLIT_KEYS)}, "
            f"got {_describe(node)}",
        )
    fields = _keyed(node, where)
    _check_keys(fields, _SPLIT_KEYS, where)
    if "pattern" not in fields:
        raise _error(node, OwnersRule.REQUIRED, f"{where} has no pattern; add pattern: <path>")
    note = fields.get("note")
    return SuggestedSplit(
        _pattern(fields["pattern"][1], f"{where}.pattern"),
        _timestamp(fields.get("suggested_at"), f"{where}.suggested_at"),
        None if note is None or _is_null(note[1]) else _string(note[1], f"{where}.note"),
    )


def _timestamp(pair: _Pair | None, where: str) -> datetime | None:
    if pair is None or _is_null(pair[1]):
        return None
    node = pair[1]
    if isinstance(node, yaml.ScalarNode) and node.tag in (_tag("str"), _tag("timestamp")):
        try:
            parsed = datetime.fromisoformat(node.value.strip())
        except ValueError:
            pass
        else:
            return as_utc(parsed)
    raise _error(
        node,
        OwnersRule.TIMESTAMP,
        f'{where} must be an ISO-8601 time such as "2026-11-20T10:00:00Z", got {_describe(node)}',
    )


def _refuse_repeats(patterns: list[str], nodes: list[yaml.Node], section: str) -> None:
    first_line: dict[str, int] = {}
    for pattern, node in zip(patterns, nodes, strict=True):
        if pattern in first_line:
            raise _error(
                node,
                OwnersRule.DUPLICATE_ENTRY,
                f"{section} lists {pattern!r} again (first on line {first_line[pattern]}); "
                "remove one of the two entries",
            )
        first_line[pattern] = node.start_mark.line + 1


def _patterns(node: yaml.Node, where: str) -> tuple[str, ...]:
    return tuple(_pattern(item, f"{where}[{i}]") for i, item in enumerate(_items(node, where)))


def _pattern(node: yaml.Node, where: str) -> str:
    raw = _string(node, where)
    try:
        return normalize_pattern(raw)
    except PatternError as exc:
        raise _error(
            node, OwnersRule.PATTERN, f"{where} is not a valid pattern: {exc.message}"
        ) from exc


def _strings(node: yaml.Node, where: str) -> tuple[str, ...]:
    return tuple(_string(item, f"{where}[{i}]") for i, item in enumerate(_items(node, where)))


def _string(node: yaml.Node, where: str) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == _tag("str") and node.value.strip():
        return str(node.value)
    hint = "; write it in quotes" if isinstance(node, yaml.ScalarNode) else ""
    raise _error(
        node, OwnersRule.TYPE, f"{where} must be a non-empty string, got {_describe(node)}{hint}"
    )


def _items(node: yaml.Node, where: str) -> list[yaml.Node]:
    if _is_null(node):
        return []
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    raise _error(node, OwnersRule.TYPE, f"{where} must be a list, got {_describe(node)}")


def _keyed_or_empty(node: yaml.Node, where: str) -> dict[str, _Pair]:
    if _is_null(node):
        return {}
    if isinstance(node, yaml.MappingNode):
        return _keyed(node, where)
    raise _error(
        node, OwnersRule.TYPE, f"{where} must be a mapping of names, got {_describe(node)}"
    )


def _keyed(node: yaml.MappingNode, where: str) -> dict[str, _Pair]:
    """The mapping's entries by key, refusing non-string and repeated keys."""
    keyed: dict[str, _Pair] = {}
    for key, value in node.value:
        name = _string(key, f"a key of {where or 'the top level'}")
        if name in keyed:
            first = keyed[name][0].start_mark.line + 1
            raise _error(
                key,
                OwnersRule.DUPLICATE_KEY,
                f"{_dotted(where, name)} appears twice (first on line {first}); keep one",
            )
        keyed[name] = (key, value)
    return keyed


def _check_keys(keyed: dict[str, _Pair], allowed: tuple[str, ...], where: str) -> None:
    for name, (key, _) in keyed.items():
        if name not in allowed:
            owner = f"{where} has" if where else "the top level has"
            raise _error(
                key,
                OwnersRule.UNKNOWN_KEY,
                f"{owner} the unknown key {name!r}; allowed keys are {_listing(allowed)}",
            )


def _error(node: yaml.Node, rule: OwnersRule, message: str) -> OwnersError:
    return OwnersError(message, line=node.start_mark.line + 1, rule=rule)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _tag("null")


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if node.tag == _tag("str"):
        return repr(_shortened(node.value))
    kind = _KIND_OF_TAG.get(node.tag.removeprefix(_TAG_PREFIX), f"a value tagged {node.tag}")
    return kind if _is_null(node) else f"{kind} ({_shortened(node.value)})"


def _shortened(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _tag(name: str) -> str:
    return _TAG_PREFIX + name


def _dotted(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _listing(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _maybe_overlaps(area: str, pattern: str) -> bool:
    """`overlaps`; an overlap over the work budget counts as hard (the stricter reading)."""
    try:
        return overlaps(area, pattern)
    except PatternTooComplex:
        return True
