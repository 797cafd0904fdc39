"""owners.yaml text edits: the intended change, and not one byte more."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coord_engine import owners_edit
from coord_engine.owners import OwnersConfig, SharedFileEntry, SuggestedSplit, parse_owners
from coord_engine.owners_edit import (
    OwnersEditError,
    collapse_subtree,
    demote_shared_file,
    promote_shared_file,
    promote_split,
    quote_scalar,
)
from coord_engine.patterns import PatternError, normalize_pattern

TODAY = date(2026, 12, 1)
MARK = "# auto-promoted=2026-12-01"

DOC = """\
# Ownership rules for acme/web.
areas:            # or modules:
  auth:
    paths: ["src/auth/**"]
    owners: [alex]
    severity: hard    # soft (default) | hard

# Files everyone touches.
shared_files:
  - package-lock.json          # coord-managed=permanent
  - src/app/router.ts          # auto-promoted=2026-11-20
  - src/app/shell.ts           # auto-promoted=2026-11-21 coord-managed=permanent
  - docs/index.md              # kept by hand
# Splits we have been asked for.
suggested_splits:
  - {pattern: src/app/big.ts, suggested_at: "2026-11-20T10:00:00Z", note: too central}
"""


def inserted_lines(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`, asserting every line of `before` survives in order."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    added, position = [], 0
    for line in new:
        if position < len(old) and line == old[position]:
            position += 1
        else:
            added.append(line)
    assert position == len(old), "a line of the original document changed or disappeared"
    return added


def removed_lines(before: str, after: str) -> list[str]:
    """The lines `after` drops from `before`, asserting the rest survives byte for byte."""
    return inserted_lines(after, before)


def with_shared(config: OwnersConfig, *entries: SharedFileEntry) -> OwnersConfig:
    return replace(config, shared_files=(*config.shared_files, *entries))


# promote_shared_file


def test_auto_promotion_adds_one_marked_line_after_the_last_entry() -> None:
    result = promote_shared_file(DOC, "src/app/nav.ts", today=TODAY, auto=True)
    assert inserted_lines(DOC, result) == [f'  - "src/app/nav.ts"  {MARK}\n']
    assert result.index("src/app/nav.ts") < result.index("# Splits we have been asked for.")
    assert parse_owners(result) == with_shared(
        parse_owners(DOC), SharedFileEntry("src/app/nav.ts", TODAY)
    )


def test_manual_promotion_has_no_marker_and_keeps_the_note_in_the_comment() -> None:
    result = promote_shared_file(DOC, "src/x.ts", today=TODAY, auto=False, note="hot  file")
    assert inserted_lines(DOC, result) == ['  - "src/x.ts"  # hot file\n']
    assert parse_owners(result).shared_entry("src/x.ts") == SharedFileEntry("src/x.ts")


def test_a_note_follows_the_marker() -> None:
    result = promote_shared_file(DOC, "src/x.ts", today=TODAY, auto=True, note="12 attempts")
    assert inserted_lines(DOC, result) == [f'  - "src/x.ts"  {MARK} - 12 attempts\n']


def test_promoting_package_lock_twice_leaves_one_entry() -> None:
    once = promote_shared_file(DOC, "**/package-lock.json", today=TODAY, auto=True)
    twice = promote_shared_file(once, "**/package-lock.json", today=TODAY, auto=True)
    assert twice == once
    assert parse_owners(twice).shared_patterns().count("**/package-lock.json") == 1
    assert yaml.safe_load(twice)["shared_files"][-1] == "**/package-lock.json"


@pytest.mark.parametrize(
    "spelling", ["src/app/router.ts", "./src/app/router.ts", "/src//app/router.ts"]
)
def test_an_existing_entry_under_any_spelling_leaves_the_text_unchanged(spelling: str) -> None:
    assert promote_shared_file(DOC, spelling, today=TODAY, auto=True) is DOC


@pytest.mark.parametrize(
    "pattern",
    [
        "*.ts",
        "src/*.{ts,tsx}",
        "a#b.ts",
        "src/a #b.ts",
        "src/key: value.ts",
        'src/say "hi".ts',
        "src/it's.ts",
        "src/back\\slash.ts",
        "src/[ab]c.ts",
        "& anchor/x",
        "- dash/x",
        "src/ü/ñ.ts",
        "src/%{x}@`y`|>.ts",
        "   leading/space.ts",
    ],
)
def test_awkward_patterns_become_one_entry_and_nothing_else(pattern: str) -> None:
    canonical = normalize_pattern(pattern)
    result = promote_shared_file(DOC, pattern, today=TODAY, auto=True)
    assert len(inserted_lines(DOC, result)) == 1
    assert parse_owners(result) == with_shared(parse_owners(DOC), SharedFileEntry(canonical, TODAY))


@pytest.mark.parametrize(
    "pattern",
    ["a.ts\nareas: {}", "a.ts\r\nx: 1", "a\x00b", "a\tb", "a\u2028b: c", "a\u2029b", "a\x85b"],
)
def test_a_pattern_with_a_line_break_or_control_character_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="control character") as caught:
        promote_shared_file(DOC, pattern, today=TODAY, auto=True)
    assert isinstance(caught.value, OwnersEditError | PatternError)


def test_a_note_cannot_add_a_line_or_forge_a_marker() -> None:
    note = "busy\nareas:\n  evil: {paths: ['**']}\r\x00end"
    result = promote_shared_file(DOC, "src/x.ts", today=TODAY, auto=False, note=note)
    assert inserted_lines(DOC, result) == [
        "  - \"src/x.ts\"  # busy areas: evil: {paths: ['**']} end\n"
    ]
    assert parse_owners(result).areas == parse_owners(DOC).areas
    with pytest.raises(OwnersEditError, match="marker word"):
        promote_shared_file(
            DOC, "src/y.ts", today=TODAY, auto=False, note="coord-managed=permanent"
        )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", f'shared_files:\n  - "a.ts"  {MARK}\n'),
        ("\n", f'\nshared_files:\n  - "a.ts"  {MARK}\n'),
        ("# nothing yet", f'# nothing yet\nshared_files:\n  - "a.ts"  {MARK}\n'),
        ("---\n", f'---\nshared_files:\n  - "a.ts"  {MARK}\n'),
        (
            "areas:\n  a:\n    paths: [a/**]",
            f'areas:\n  a:\n    paths: [a/**]\nshared_files:\n  - "a.ts"  {MARK}\n',
        ),
        ("shared_files:\n  - b.ts", f'shared_files:\n  - b.ts\n  - "a.ts"  {MARK}\n'),
        ("shared_files:\n- b.ts\n", f'shared_files:\n- b.ts\n- "a.ts"  {MARK}\n'),
        ("shared_files:\n", f'shared_files:\n  - "a.ts"  {MARK}\n'),
        (
            "shared_files:   # none yet\nsuggested_splits: []\n",
            f'shared_files:   # none yet\n  - "a.ts"  {MARK}\nsuggested_splits: []\n',
        ),
        ("shared_files: ~  # none\n", f'shared_files:  # none\n  - "a.ts"  {MARK}\n'),
        ("shared_files: []\n", f'shared_files:\n  - "a.ts"  {MARK}\n'),
        ("shared_files: []", f'shared_files:\n  - "a.ts"  {MARK}\n'),
        (
            "shared_files: [b.ts, 'c d.ts', \"e#f\"]  # by hand\nareas:\n",
            "shared_files:  # by hand\n  - b.ts\n  - 'c d.ts'\n  - \"e#f\"\n"
            f'  - "a.ts"  {MARK}\nareas:\n',
        ),
        (
            "shared_files: [\n    b.ts,\n    c.ts,\n]\n",
            f'shared_files:\n  - b.ts\n  - c.ts\n  - "a.ts"  {MARK}\n',
        ),
        (
            "  areas: {}\n  shared_files:\n    - b.ts\n",
            f'  areas: {{}}\n  shared_files:\n    - b.ts\n    - "a.ts"  {MARK}\n',
        ),
        (
            "shared_files:\r\n  - b.ts  # x\r\n",
            f'shared_files:\r\n  - b.ts  # x\r\n  - "a.ts"  {MARK}\r\n',
        ),
    ],
)
def test_promotion_fits_every_layout_of_the_section(before: str, after: str) -> None:
    result = promote_shared_file(before, "a.ts", today=TODAY, auto=True)
    assert result == after
    assert parse_owners(result).shared_entry("a.ts") == SharedFileEntry("a.ts", TODAY)


def test_the_last_entry_of_a_block_mapping_list_is_passed_correctly() -> None:
    text = "suggested_splits:\n  - pattern: a.ts\n    note: |\n      long\n      story\n\n# tail\n"
    result = promote_split(text, "b.ts", now=datetime(2026, 12, 1, tzinfo=UTC))
    assert inserted_lines(text, result) == [
        '  - {pattern: "b.ts", suggested_at: "2026-12-01T00:00:00Z"}\n'
    ]
    assert result.index("b.ts") < result.index("# tail")
    assert parse_owners(result).suggested_splits[0].note == "long\nstory\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{shared_files: [a.ts]}\n", "flow style"),
        ("shared_files: [a.ts,  # first\n  b.ts]\n", "flow list"),
        ("areas: {}\n...\n", "would not parse"),
    ],
)
def test_layouts_coord_cannot_edit_safely_are_refused(text: str, message: str) -> None:
    with pytest.raises(OwnersEditError, match=message):
        promote_shared_file(text, "c.ts", today=TODAY, auto=True)


def test_an_edit_that_would_change_other_rules_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands for any layout the line logic gets wrong: the result parses, but holds more.
    def careless_append(text: str, section: str, item: str) -> str:
        return text.replace("areas:", "areas:\n  extra:\n    paths: [x/**]", 1) + "\n"

    monkeypatch.setattr(owners_edit, "_append_item", careless_append)
    with pytest.raises(OwnersEditError, match="would not hold exactly the intended rules"):
        promote_shared_file(DOC, "a.ts", today=TODAY, auto=True)


# demote_shared_file


def test_demotion_removes_exactly_the_auto_promoted_line() -> None:
    result = demote_shared_file(DOC, "src/app/router.ts")
    assert removed_lines(DOC, result) == [
        "  - src/app/router.ts          # auto-promoted=2026-11-20\n"
    ]
    before = parse_owners(DOC)
    assert parse_owners(result) == replace(
        before,
        shared_files=tuple(e for e in before.shared_files if e.pattern != "src/app/router.ts"),
    )


@pytest.mark.parametrize(
    "pattern",
    ["package-lock.json", "src/app/shell.ts", "docs/index.md", "not/listed.ts"],
    ids=["permanent", "auto-and-permanent", "no-marker", "absent"],
)
def test_pinned_hand_made_and_absent_entries_are_not_demoted(pattern: str) -> None:
    assert demote_shared_file(DOC, pattern) is DOC


def test_demotion_finds_the_entry_under_another_spelling() -> None:
    assert demote_shared_file(DOC, "./src/app/router.ts") == demote_shared_file(
        DOC, "src/app/router.ts"
    )


def test_demoting_the_only_entry_leaves_an_empty_section() -> None:
    text = "shared_files:\n  - a.ts  # auto-promoted=2026-01-01\nareas: {}\n"
    result = demote_shared_file(text, "a.ts")
    assert result == "shared_files:\nareas: {}\n"
    assert parse_owners(result) == OwnersConfig()


def test_demoting_the_last_line_without_a_newline() -> None:
    text = "shared_files:\n  - b.ts\n  - a.ts  # auto-promoted=2026-01-01"
    assert demote_shared_file(text, "a.ts") == "shared_files:\n  - b.ts\n"


def test_an_entry_spread_over_lines_is_refused_rather_than_half_removed() -> None:
    text = "shared_files:\n  -\n    a.ts  # auto-promoted=2026-01-01\n"
    with pytest.raises(OwnersEditError, match="line 3"):
        demote_shared_file(text, "a.ts")


def test_promote_then_demote_restores_the_document() -> None:
    promoted = promote_shared_file(DOC, "src/hot.ts", today=TODAY, auto=True)
    assert demote_shared_file(promoted, "src/hot.ts") == DOC


# collapse_subtree


def test_the_third_file_under_a_directory_collapses_them_into_one_subtree_entry() -> None:
    text = DOC
    for name in ("tests/a.py", "tests/b.py"):
        text = promote_shared_file(text, name, today=date(2026, 11, 28), auto=True)
        assert collapse_subtree(text, min_files=3, today=TODAY) is text
    text = promote_shared_file(text, "tests/c.py", today=date(2026, 11, 30), auto=True)
    collapsed = collapse_subtree(text, min_files=3, today=TODAY)
    assert inserted_lines(DOC, collapsed) == [f'  - "tests/**"  {MARK}\n']
    assert parse_owners(collapsed) == with_shared(
        parse_owners(DOC), SharedFileEntry("tests/**", TODAY)
    )
    assert collapse_subtree(collapsed, min_files=3, today=TODAY) is collapsed


def test_the_subtree_entry_takes_the_place_of_the_first_file() -> None:
    text = (
        "shared_files:\n"
        "  - lib/a.py  # auto-promoted=2026-01-01\n"
        "  - other.txt\n"
        "  - lib/b.py  # auto-promoted=2026-01-02\n"
        "  - lib/c.py  # auto-promoted=2026-01-03\n"
        "# end\n"
    )
    assert collapse_subtree(text, min_files=3, today=TODAY) == (
        f'shared_files:\n  - "lib/**"  {MARK}\n  - other.txt\n# end\n'
    )


def test_pinned_and_hand_made_entries_neither_count_nor_move() -> None:
    text = (
        "shared_files:\n"
        "  - lib/a.py  # auto-promoted=2026-01-01 coord-managed=permanent\n"
        "  - lib/b.py\n"
        "  - lib/c.py  # auto-promoted=2026-01-03\n"
        "  - lib/d.py  # auto-promoted=2026-01-03\n"
    )
    assert collapse_subtree(text, min_files=3, today=TODAY) is text
    assert collapse_subtree(text, min_files=2, today=TODAY) == (
        "shared_files:\n"
        "  - lib/a.py  # auto-promoted=2026-01-01 coord-managed=permanent\n"
        "  - lib/b.py\n"
        f'  - "lib/**"  {MARK}\n'
    )


def test_the_deepest_qualifying_directory_collapses_first() -> None:
    names = ["src/ui/forms/a.ts", "src/ui/forms/b.ts", "src/ui/forms/c.ts", "src/ui/x.ts"]
    text = "shared_files:\n" + "".join(f"  - {n}  # auto-promoted=2026-01-01\n" for n in names)
    collapsed = collapse_subtree(text, min_files=3, today=TODAY)
    assert parse_owners(collapsed).shared_patterns() == ("src/ui/forms/**", "src/ui/x.ts")


def test_several_directories_collapse_in_one_call() -> None:
    names = ["a/1", "b/1", "a/2", "b/2"]
    text = "shared_files:\n" + "".join(f"  - {n}  # auto-promoted=2026-01-01\n" for n in names)
    collapsed = collapse_subtree(text, min_files=2, today=TODAY)
    assert parse_owners(collapsed).shared_patterns() == ("a/**", "b/**")


def test_files_already_under_a_listed_subtree_are_folded_into_it() -> None:
    text = (
        "shared_files:\n"
        "  - lib/**\n"
        "  - lib/a.py  # auto-promoted=2026-01-01\n"
        "  - lib/b.py  # auto-promoted=2026-01-01\n"
    )
    assert collapse_subtree(text, min_files=2, today=TODAY) == "shared_files:\n  - lib/**\n"


@pytest.mark.parametrize(
    "names",
    [
        ["package.json", "Makefile", "README.md"],
        ["/package.json", "/Makefile", "/README.md"],
        ["src/*.ts", "src/**/x.ts", "src/a?.ts"],
    ],
    ids=["any-depth-names", "root-files", "globs"],
)
def test_root_files_and_globs_never_collapse(names: list[str]) -> None:
    text = "shared_files:\n" + "".join(f'  - "{n}"  # auto-promoted=2026-01-01\n' for n in names)
    assert collapse_subtree(text, min_files=1, today=TODAY) is text


def test_a_zero_minimum_disables_collapsing() -> None:
    text = "shared_files:\n" + "".join(
        f"  - t/{n}.py  # auto-promoted=2026-01-01\n" for n in "abcd"
    )
    assert collapse_subtree(text, min_files=0, today=TODAY) is text


# promote_split


def test_a_split_is_recorded_once_with_time_and_note() -> None:
    now = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    result = promote_split(DOC, "src/app/nav.ts", now=now, note='too "central"')
    assert inserted_lines(DOC, result) == [
        '  - {pattern: "src/app/nav.ts", suggested_at: "2026-12-01T07:30:15Z", '
        'note: "too \\"central\\""}\n'
    ]
    expected = SuggestedSplit(
        "src/app/nav.ts", datetime(2026, 12, 1, 7, 30, 15, tzinfo=UTC), 'too "central"'
    )
    before = parse_owners(DOC)
    assert parse_owners(result) == replace(
        before, suggested_splits=(*before.suggested_splits, expected)
    )
    assert promote_split(result, "./src/app/nav.ts", now=now) is result


def test_a_split_section_is_created_when_missing() -> None:
    result = promote_split("areas: {}\n", "a: b.ts", now=datetime(2026, 1, 2, tzinfo=UTC))
    assert result == (
        "areas: {}\nsuggested_splits:\n"
        '  - {pattern: "a: b.ts", suggested_at: "2026-01-02T00:00:00Z"}\n'
    )


def test_a_split_needs_an_aware_time() -> None:
    with pytest.raises(OwnersEditError, match="timezone-aware"):
        promote_split(DOC, "a.ts", now=datetime(2026, 1, 2))


# Properties.

_PATTERN_CHARS = st.sampled_from(
    [*"abcXYZ019._-/ *?[]!#:'\"{},&%@`|>=~\\", "ü", "語", "\U0001f600", "\u00a0", "\ufeff"]
)


def is_valid_pattern(raw: str) -> bool:
    try:
        normalize_pattern(raw)
    except PatternError:
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(
    raw=st.text(_PATTERN_CHARS, min_size=1, max_size=30).filter(is_valid_pattern),
    auto=st.booleans(),
)
def test_promote_adds_exactly_one_matching_entry(raw: str, auto: bool) -> None:
    canonical = normalize_pattern(raw)
    before = parse_owners(DOC)
    assume(before.shared_entry(canonical) is None)
    result = promote_shared_file(DOC, raw, today=TODAY, auto=auto)
    assert len(inserted_lines(DOC, result)) == 1
    after = parse_owners(result)
    assert [e for e in after.shared_files if e.pattern == canonical] == [
        SharedFileEntry(canonical, TODAY if auto else None)
    ]
    assert after == with_shared(before, SharedFileEntry(canonical, TODAY if auto else None))
    if auto:
        assert demote_shared_file(result, canonical) == DOC


@settings(max_examples=200, deadline=None)
@given(value=st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_a_quoted_scalar_loads_back_to_itself(value: str) -> None:
    assert yaml.safe_load(f"key: {quote_scalar(value)}  # comment\n") == {"key": value}
