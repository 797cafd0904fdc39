"""Managed blocks: coord's text between `coord:begin` and `coord:end` marker lines.

`coord init` owns what lies between the markers and nothing else: a block is replaced whole when
it differs, added at the end when missing, and every byte outside the markers is kept.
Markers are comment lines (`<!-- coord:begin ... -->` in Markdown, `# coord:begin ...` in
.gitignore) so the text around them renders and parses as before.
"""

from __future__ import annotations

import re

_BEGIN = re.compile(r"^\s*(?:<!--|#)\s*coord:begin\b")
_END = re.compile(r"^\s*(?:<!--|#)\s*coord:end\b")


class BlockError(ValueError):
    """The markers of a file do not pair up; the message names the line and the fix."""


def extract_block(template: str) -> str:
    """The block of a template: from its begin marker line to its end marker line, inclusive."""
    lines = template.splitlines(keepends=True)
    spans = _spans(lines, "template")
    if len(spans) != 1:
        raise BlockError(f"a template must hold exactly one coord block, found {len(spans)}")
    start, end = spans[0]
    return "".join(lines[start : end + 1])


def has_block(text: str) -> bool:
    """Whether `text` holds a well-formed managed block."""
    try:
        return bool(_spans(text.splitlines(keepends=True), "text"))
    except BlockError:
        return False


def current_block(text: str, name: str) -> str | None:
    """The first managed block of `text` (markers included), or None without one."""
    lines = text.splitlines(keepends=True)
    spans = _spans(lines, name)
    if not spans:
        return None
    start, end = spans[0]
    return "".join(lines[start : end + 1])


def merge_block(existing: str | None, block: str, name: str) -> str:
    """`existing` with its managed block set to `block` (added at the end when absent).

    Extra blocks (a pasted duplicate) are dropped so the file holds exactly one. `name` is
    used in errors.
    """
    block = _normalise(block, existing)
    if not existing:
        return block
    lines = existing.splitlines(keepends=True)
    spans = _spans(lines, name)
    if not spans:
        separator = "" if existing.endswith(("\n", "\r")) else _newline(existing)
        gap = _newline(existing) if existing.strip() else ""
        return existing + separator + gap + block
    kept: list[str] = []
    cursor = 0
    for number, (start, end) in enumerate(spans):
        kept.extend(lines[cursor:start])
        if number == 0:
            kept.append(block)
        cursor = end + 1
    kept.extend(lines[cursor:])
    return "".join(kept)


def _spans(lines: list[str], name: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for index, line in enumerate(lines):
        if _BEGIN.match(line):
            if opened is not None:
                raise BlockError(_unpaired(name, opened, "coord:begin", "coord:end"))
            opened = index
        elif _END.match(line):
            if opened is None:
                raise BlockError(_unpaired(name, index, "coord:end", "coord:begin"))
            spans.append((opened, index))
            opened = None
    if opened is not None:
        raise BlockError(_unpaired(name, opened, "coord:begin", "coord:end"))
    return spans


def _unpaired(name: str, index: int, found: str, missing: str) -> str:
    return (
        f"{name} line {index + 1}: `{found}` has no matching `{missing}`; "
        f"remove the stray marker line (or add the missing one), then run `coord init` again"
    )


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _normalise(block: str, existing: str | None) -> str:
    block = block if block.endswith("\n") else block + "\n"
    if existing and "\r\n" in existing:
        return block.replace("\r\n", "\n").replace("\n", "\r\n")
    return block
