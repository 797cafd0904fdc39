"""Free text that is safe to store and to print.

Engineers, branches, descriptions, reasons and notes written by one agent are printed on another
engineer's terminal (the pre-push table), put into Markdown summaries (the CI check) and into
another agent's context (Claude Code deny reasons). A control character there can repaint a
terminal (ANSI/OSC escapes), hide text (bidirectional overrides) or forge lines, so intake
refuses them and every output sink escapes whatever older rows still hold.
"""

from __future__ import annotations

import re

FREE_TEXT_FIELDS = frozenset(
    {"engineer", "requester", "holder", "branch", "description", "reason", "note"}
)
"""Names of the fields (in bodies and query strings) that carry free text one engineer writes
and others read."""

_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
"""C0 and C1 controls, DEL, and the Unicode bidirectional marks, embeddings and overrides."""

SAFE_TEXT_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$"
"""The same rule as a JSON-schema `pattern` over the whole text (ECMA-262 and Python `re` read
it alike), written with escapes rather than the raw characters so a schema stays printable."""


UNSAFE_TEXT_ERROR = "unsafe_text"
"""Error type a wire model reports for a free-text field holding an unsafe character; the
server answers it with 400 `invalid_text` rather than a 422."""


def unsafe_text_problem(char: str) -> str:
    """What is wrong with text holding `char`, and what to do: one clause of an error message."""
    return (
        f"contains {describe_char(char)}, a control or bidirectional-override character; such "
        "characters are refused because other engineers' terminals and agents print this "
        "text: remove it and send again"
    )


def first_unsafe_char(text: str) -> str | None:
    """The first character of `text` that must not be stored or printed raw, or None."""
    found = _UNSAFE.search(text)
    return found.group() if found else None


def describe_char(char: str) -> str:
    """How a person can read an invisible character: `U+001B`."""
    return f"U+{ord(char):04X}"


def printable(text: str) -> str:
    """`text` with each unsafe character replaced by a visible escape (`\\x1b`, `\\u202e`)."""
    return _UNSAFE.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
