"""Managed blocks: replaced whole, added once, every byte outside the markers kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coord_cli.blocks import BlockError, current_block, extract_block, has_block, merge_block

BLOCK = "<!-- coord:begin x -->\nclaim first\n<!-- coord:end -->\n"
OLD = "<!-- coord:begin x -->\nold words\n<!-- coord:end -->\n"


def test_a_missing_file_becomes_the_block() -> None:
    assert merge_block(None, BLOCK, "CLAUDE.md") == BLOCK


def test_the_block_is_appended_after_a_blank_line() -> None:
    assert merge_block("# Title\ntext", BLOCK, "f") == "# Title\ntext\n\n" + BLOCK


def test_an_edited_block_is_replaced_in_place() -> None:
    existing = "before\n" + OLD + "after\n"
    assert merge_block(existing, BLOCK, "f") == "before\n" + BLOCK + "after\n"


def test_duplicate_blocks_collapse_into_one() -> None:
    existing = "a\n" + OLD + "b\n" + OLD + "c\n"
    assert merge_block(existing, BLOCK, "f") == "a\n" + BLOCK + "b\nc\n"


def test_crlf_files_get_a_crlf_block() -> None:
    existing = "one\r\ntwo\r\n"
    assert merge_block(existing, BLOCK, "f") == existing + "\r\n" + BLOCK.replace("\n", "\r\n")


def test_gitignore_style_markers_count_too() -> None:
    block = "# coord:begin\n/.coordination/\n# coord:end\n"
    existing = "node_modules/\n# coord:begin\n/.coord/\n# coord:end\n"
    assert merge_block(existing, block, ".gitignore") == "node_modules/\n" + block


def test_prose_that_mentions_a_marker_is_not_a_marker() -> None:
    existing = "We wrap coord:begin and coord:end around the block.\n"
    assert not has_block(existing)
    assert merge_block(existing, BLOCK, "f") == existing + "\n" + BLOCK


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- coord:begin -->\nno end\n", "f line 1: `coord:begin` has no matching `coord:end`"),
        ("x\n<!-- coord:end -->\n", "f line 2: `coord:end` has no matching `coord:begin`"),
        (
            "<!-- coord:begin -->\n<!-- coord:begin -->\n<!-- coord:end -->\n",
            "f line 1: `coord:begin` has no matching `coord:end`",
        ),
    ],
)
def test_unpaired_markers_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(BlockError, match="^" + message.replace("`", "`")):
        merge_block(text, BLOCK, "f")


def test_extract_and_current_block() -> None:
    assert extract_block("---\nfront: matter\n---\n\n" + BLOCK) == BLOCK
    assert current_block("x\n" + OLD + "y\n", "f") == OLD
    assert current_block("nothing\n", "f") is None
    with pytest.raises(BlockError, match="exactly one coord block, found 0"):
        extract_block("no block\n")


_LINE = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=150, deadline=None)
@given(before=st.lists(_LINE, max_size=6), after=st.lists(_LINE, max_size=6))
def test_text_outside_the_markers_survives_and_a_second_merge_is_a_no_op(
    before: list[str], after: list[str]
) -> None:
    lines = [line for line in before + after if "coord:" not in line]
    prefix = "".join(f"{line}\n" for line in lines[: len(before)])
    suffix = "".join(f"{line}\n" for line in lines[len(before) :])
    merged = merge_block(prefix + OLD + suffix, BLOCK, "f")
    assert merged == prefix + BLOCK + suffix
    assert merge_block(merged, BLOCK, "f") == merged
