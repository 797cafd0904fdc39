"""Edits of owners.yaml text that leave everything they do not touch byte for byte (SPEC §8).

An edit never dumps the parsed document. It finds where a section and its entries sit in the text
(the marks of PyYAML's nodes) and inserts, replaces or removes whole lines there, so comments,
markers, key order, quoting and blank lines elsewhere stay exactly as written. Patterns and notes
are written as YAML double-quoted scalars with every special character escaped, so no pattern can
end a line, start a comment or add a key. Every edit re-parses its result and compares it with the
configuration it meant to produce; any difference raises `OwnersEditError` instead of returning a
broken document.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import chain
from typing import Final

import yaml

from coord_engine.owners import (
    OwnersConfig,
    OwnersError,
    SharedFileEntry,
    SuggestedSplit,
    auto_promoted_marker,
    parse_owners,
)
from coord_engine.patterns import literal_prefix, normalize_pattern
from coord_protocol.timestamps import format_utc

SHARED_FILES: Final = "shared_files"
SUGGESTED_SPLITS: Final = "suggested_splits"

_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
_DASH_PREFIX = re.compile(r"[ \t]*-[ \t]+")
_FLOW_GAP = re.compile(r"[\s,]*")


class OwnersEditError(ValueError):
    """An owners.yaml edit coord refuses, or one whose result would not be the intended rules."""


def promote_shared_file(
    text: str, pattern: str, *, today: date, auto: bool, note: str | None = None
) -> str:
    """Add a `shared_files` entry for `pattern`; unchanged when one for it is already there.

    `auto=True` marks the entry `# auto-promoted=<today>` so auto-demote may remove it later.
    A note goes into the entry's comment, after the marker.
    """
    canonical = _checked_pattern(pattern)
    comment = _comment_note(note)
    before = parse_owners(text)
    if before.shared_entry(canonical) is not None:
        return text
    marker = auto_promoted_marker(today) if auto else None
    remark = " - ".join(part for part in (marker, comment) if part)
    item = f"- {quote_scalar(canonical)}" + (f"  # {remark}" if remark else "")
    added = SharedFileEntry(canonical, today if auto else None)
    expected = replace(before, shared_files=(*before.shared_files, added))
    return _verified(_append_item(text, SHARED_FILES, item), expected)


def promote_split(text: str, pattern: str, *, now: datetime, note: str | None = None) -> str:
    """Add a `suggested_splits` entry `{pattern, suggested_at, note}`; unchanged if one exists."""
    if now.tzinfo is None:
        raise OwnersEditError("promote_split needs a timezone-aware `now`; pass a UTC datetime")
    canonical = _checked_pattern(pattern)
    cleaned = _clean_note(note)
    before = parse_owners(text)
    if before.split_entry(canonical) is not None:
        return text
    stamp = now.astimezone(UTC).replace(microsecond=0)
    fields = [f"pattern: {quote_scalar(canonical)}", f'suggested_at: "{format_utc(stamp)}"']
    if cleaned is not None:
        fields.append(f"note: {quote_scalar(cleaned)}")
    item = "- {" + ", ".join(fields) + "}"
    added = SuggestedSplit(canonical, stamp, cleaned)
    expected = replace(before, suggested_splits=(*before.suggested_splits, added))
    return _verified(_append_item(text, SUGGESTED_SPLITS, item), expected)


def demote_shared_file(text: str, pattern: str) -> str:
    """Remove the `shared_files` entry for `pattern` if coord may: auto-promoted and not pinned.

    Entries without the auto marker, or with `coord-managed=permanent`, leave the text unchanged.
    """
    canonical = _checked_pattern(pattern)
    before = parse_owners(text)
    entry = before.shared_entry(canonical)
    if entry is None or not entry.demotable:
        return text
    start, end = _entry_span(text, _shared_items(text)[canonical])
    expected = replace(before, shared_files=tuple(e for e in before.shared_files if e != entry))
    return _verified(text[:start] + text[end:], expected)


def collapse_subtree(text: str, *, min_files: int, today: date) -> str:
    """Replace `min_files` or more auto-promoted file entries under one directory by `dir/**`.

    Only demotable entries naming one file (no glob, inside some directory) count and are
    replaced; pinned and operator entries stay as they are. The deepest qualifying directory
    goes first, then the check repeats. The new entry is marked auto-promoted on `today` and
    takes the place of the first entry it replaces. `min_files <= 0` disables collapsing.
    """
    if min_files <= 0:
        return text
    while (group := _collapsible(parse_owners(text), min_files)) is not None:
        text = _collapse(text, *group, today=today)
    return text


def quote_scalar(value: str) -> str:
    """`value` as a YAML double-quoted scalar that loads back to exactly `value`."""
    return '"' + "".join(_escaped(char) for char in value) + '"'


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _checked_pattern(pattern: str) -> str:
    # normalize_pattern refuses control characters too; line separators are checked here as
    # well, because this text goes straight into a YAML document.
    _refuse_control_characters(pattern)
    return normalize_pattern(pattern)


def _refuse_control_characters(pattern: str) -> None:
    for char in pattern:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise OwnersEditError(
                f"pattern {pattern!r} contains the control character {char!r}; a pattern is one "
                "line of path text: remove the character and retry"
            )


def _clean_note(note: str | None) -> str | None:
    """The note on one line: control characters and runs of whitespace become one space."""
    if note is None:
        return None
    printable = "".join(char if char.isprintable() else " " for char in note)
    return " ".join(printable.split()) or None


def _comment_note(note: str | None) -> str | None:
    cleaned = _clean_note(note)
    # The note shares the entry's comment with the markers: it must not be able to forge one.
    if cleaned is not None and ("auto-promoted" in cleaned or "coord-managed" in cleaned):
        raise OwnersEditError(
            f"note {cleaned!r} contains a coord marker word ('auto-promoted' or 'coord-managed'); "
            "reword the note"
        )
    return cleaned


def _verified(text: str, expected: OwnersConfig) -> str:
    try:
        result = parse_owners(text)
    except OwnersError as exc:
        raise OwnersEditError(
            f"coord refused to edit owners.yaml: the result would not parse ({exc}); "
            "make the change by hand"
        ) from exc
    if result != expected:
        raise OwnersEditError(
            "coord refused to edit owners.yaml: the result would not hold exactly the intended "
            "rules (unusual layout); write the section in block style, one '- entry' per line"
        )
    return text


# Locating things in the text.


def _root(text: str) -> yaml.MappingNode | None:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if isinstance(root, yaml.MappingNode):
        if root.flow_style:
            raise OwnersEditError(
                "owners.yaml's top level is written in flow style ({...}); coord edits only "
                "block style, one 'key:' per line: rewrite it that way and retry"
            )
        return root
    # parse_owners has already accepted the text, so anything else is an empty document.
    return None


def _section(root: yaml.MappingNode | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    if root is None:
        return None
    return next(((k, v) for k, v in root.value if k.value == name), None)


def _shared_items(text: str) -> dict[str, yaml.Node]:
    """The `shared_files` item nodes by canonical pattern; callers know the section is a list."""
    found = _section(_root(text), SHARED_FILES)
    assert found is not None
    items = found[1]
    assert isinstance(items, yaml.SequenceNode)
    return {normalize_pattern(node.value): node for node in items.value}


def _entry_span(text: str, node: yaml.Node) -> tuple[int, int]:
    """Start and end of the whole lines holding a block entry `- value  # comment`."""
    start = _line_start(text, node.start_mark.index)
    if not _DASH_PREFIX.fullmatch(text, start, node.start_mark.index):
        raise OwnersEditError(
            f"line {node.start_mark.line + 1}: coord edits only shared_files entries written as "
            "'- pattern  # markers' on one line; change this entry by hand"
        )
    return start, _line_end(text, node.end_mark.index)


def _content_end(node: yaml.Node) -> int:
    """Index just past the node's last character (a block collection's mark runs further)."""
    if isinstance(node, yaml.CollectionNode) and not node.flow_style:
        children = node.value if isinstance(node, yaml.SequenceNode) else chain(*node.value)
        return max(_content_end(child) for child in children)
    end: int = node.end_mark.index
    # A block scalar (`|`, `>`) ends at the start of the line after it.
    return end - 1 if node.end_mark.column == 0 and end > node.start_mark.index else end


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """Index just past the line break ending the line that holds `index` (or the text's end)."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


# Appending an item to a section.


def _append_item(text: str, section: str, item: str) -> str:
    root = _root(text)
    found = _section(root, section)
    if found is None:
        return _append_section(text, root, section, item)
    key, value = found
    indent = " " * (key.start_mark.column + 2)
    if isinstance(value, yaml.SequenceNode) and value.flow_style:
        return _append_to_flow(text, key, value, item, indent)
    if isinstance(value, yaml.SequenceNode):
        at = _line_end(text, _content_end(value.value[-1]))
        return _insert_lines(text, at, [" " * value.start_mark.column + item])
    return _append_to_null(text, key, value, item, indent)


def _append_section(text: str, root: yaml.MappingNode | None, section: str, item: str) -> str:
    indent = "" if root is None else " " * root.start_mark.column
    lines = [f"{indent}{section}:", f"{indent}  {item}"]
    return _insert_lines(text, len(text), lines)


def _append_to_null(text: str, key: yaml.Node, value: yaml.Node, item: str, indent: str) -> str:
    """`section:` with no value, or an explicit `~`/`null`: drop the null, list the item."""
    text = _cut(text, value.start_mark.index, value.end_mark.index)
    return _insert_lines(text, _line_end(text, key.end_mark.index), [indent + item])


def _append_to_flow(
    text: str, key: yaml.Node, value: yaml.SequenceNode, item: str, indent: str
) -> str:
    """`section: [a, b]`: rewrite it as a block list, keeping each item's source text."""
    sources = [text[node.start_mark.index : node.end_mark.index] for node in value.value]
    bounds = [value.start_mark.index + 1]
    for node in value.value:
        bounds.extend((node.start_mark.index, node.end_mark.index))
    bounds.append(value.end_mark.index - 1)
    gaps = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    if not all(_FLOW_GAP.fullmatch(gap) for gap in gaps) or any("\n" in s for s in sources):
        raise OwnersEditError(
            f"line {key.start_mark.line + 1}: {key.value} is a flow list with comments or "
            "multi-line items inside; rewrite it as a block list, one '- entry' per line, and retry"
        )
    text = _cut(text, value.start_mark.index, value.end_mark.index)
    lines = [f"{indent}- {source}" for source in sources] + [indent + item]
    return _insert_lines(text, _line_end(text, key.end_mark.index), lines)


def _cut(text: str, start: int, end: int) -> str:
    """Remove text[start:end] and the blanks before it, unless the span is empty."""
    if start == end:
        return text
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return text[:start] + text[end:]


def _insert_lines(text: str, at: int, lines: list[str]) -> str:
    newline = _newline(text)
    head = text[:at]
    if head and not head.endswith("\n"):
        head += newline
    return head + "".join(line + newline for line in lines) + text[at:]


# Subtree collapse.


def _collapsible(config: OwnersConfig, min_files: int) -> tuple[str, list[str]] | None:
    """The deepest directory holding `min_files` or more replaceable file entries, with them."""
    under: dict[str, list[str]] = {}
    for entry in config.shared_files:
        if entry.demotable and _is_single_file(entry.pattern):
            for directory in _ancestors(entry.pattern):
                under.setdefault(directory, []).append(entry.pattern)
    qualified = [directory for directory, files in under.items() if len(files) >= min_files]
    if not qualified:
        return None
    deepest = min(qualified, key=lambda directory: (-directory.count("/"), directory))
    return deepest, under[deepest]


def _collapse(text: str, directory: str, members: list[str], *, today: date) -> str:
    before = parse_owners(text)
    subtree = normalize_pattern(f"{directory}/**")
    added = None if before.shared_entry(subtree) else SharedFileEntry(subtree, today)
    items = _shared_items(text)
    spans = [_entry_span(text, items[pattern]) for pattern in members]
    first_start, first_end = spans[0]
    replacement = ""
    if added is not None:
        prefix = text[first_start : items[members[0]].start_mark.index]
        line = f"{prefix}{quote_scalar(subtree)}  # {auto_promoted_marker(today)}"
        replacement = line + (_newline(text) if text[first_end - 1 : first_end] == "\n" else "")
    for start, end in reversed(spans[1:]):
        text = text[:start] + text[end:]
    text = text[:first_start] + replacement + text[first_end:]
    return _verified(text, replace(before, shared_files=_replaced(before, members, added)))


def _replaced(
    before: OwnersConfig, members: list[str], added: SharedFileEntry | None
) -> tuple[SharedFileEntry, ...]:
    """The entries after a collapse: members dropped, `added` in the first member's place."""
    entries: list[SharedFileEntry] = []
    for entry in before.shared_files:
        if entry.pattern not in members:
            entries.append(entry)
        elif entry.pattern == members[0] and added is not None:
            entries.append(added)
    return tuple(entries)


def _is_single_file(pattern: str) -> bool:
    """A pattern naming one path inside some directory: all of it literal, two segments or more."""
    prefix = literal_prefix(pattern)
    return prefix is not None and len(prefix) > 1 and "/".join(prefix) == pattern.lstrip("/")


def _ancestors(pattern: str) -> list[str]:
    parts = pattern.lstrip("/").split("/")[:-1]
    return ["/".join(parts[: depth + 1]) for depth in range(len(parts))]
