"""Free text: which characters are unsafe, and how they are shown."""

from __future__ import annotations

import pytest

from coord_protocol.text import describe_char, first_unsafe_char, printable


@pytest.mark.parametrize(
    "char", ["\x00", "\x07", "\x1b", "\n", "\r", "\t", "\x7f", "\x85", "\x9b", "\u202e", "\u2066"]
)
def test_controls_and_bidi_overrides_are_unsafe(char: str) -> None:
    assert first_unsafe_char(f"fix {char} here") == char
    assert char not in printable(f"fix {char} here")


def test_ordinary_text_is_kept_as_is() -> None:
    text = "alex/claude/main: fix the login form (déjà vu, 東京, emoji 🚀)"
    assert first_unsafe_char(text) is None
    assert printable(text) == text


def test_escapes_are_visible() -> None:
    assert printable("\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert printable("a\u202eb") == "a\\u202eb"
    assert describe_char("\x1b") == "U+001B"
