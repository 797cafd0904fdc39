"""owners.yaml parsing: the model, the markers, and errors that name line, key and rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from coord_engine.owners import (
    MAX_DEPTH,
    MAX_NODES,
    PERMANENT_MARKER,
    Area,
    OwnersConfig,
    OwnersError,
    OwnersRule,
    SharedFileEntry,
    SuggestedSplit,
    auto_promoted_marker,
    parse_owners,
)
from coord_protocol.vocab import Severity

SPEC_EXAMPLE = """\
areas:            # or modules:
  auth:
    paths: ["src/auth/**"]
    owners: [alex]
    severity: hard    # soft (default) | hard
shared_files:
  - package-lock.json          # coord-managed=permanent
  - src/app/router.ts          # auto-promoted=2026-11-20
suggested_splits:
  - {pattern: src/app/shell.ts, suggested_at: "2026-11-20T10:00:00Z", note: too central}
"""


def test_the_spec_example_parses_into_the_model() -> None:
    assert parse_owners(SPEC_EXAMPLE) == OwnersConfig(
        areas=(Area("auth", ("src/auth/**",), ("alex",), Severity.HARD),),
        shared_files=(
            SharedFileEntry("package-lock.json", None, permanent=True),
            SharedFileEntry("src/app/router.ts", date(2026, 11, 20)),
        ),
        suggested_splits=(
            SuggestedSplit(
                "src/app/shell.ts", datetime(2026, 11, 20, 10, tzinfo=UTC), "too central"
            ),
        ),
    )


def test_modules_is_another_name_for_areas() -> None:
    config = parse_owners("modules:\n  web:\n    paths: [web/]\n")
    assert config.areas == (Area("web", ("web/**",), (), Severity.SOFT),)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n", "null"])
def test_an_empty_document_is_the_empty_config(text: str) -> None:
    assert parse_owners(text) == OwnersConfig()


def test_empty_sections_are_empty() -> None:
    text = "areas:\nshared_files: []\nsuggested_splits: ~\n"
    assert parse_owners(text) == OwnersConfig()


def test_patterns_are_stored_canonical() -> None:
    text = 'areas:\n  a:\n    paths: ["./src/auth/", "src//x.ts"]\nshared_files:\n  - /src/b.ts\n'
    config = parse_owners(text)
    assert config.areas[0].paths == ("src/auth/**", "src/x.ts")
    assert config.shared_patterns() == ("src/b.ts",)


def test_severity_defaults_to_soft_and_owners_to_none() -> None:
    config = parse_owners("areas:\n  a:\n    paths: [a/**]\n    severity:\n")
    assert config.areas == (Area("a", ("a/**",)),)
    assert config.areas[0].severity is Severity.SOFT


# Markers live in the comment on the entry's own line.


@pytest.mark.parametrize(
    ("comment", "auto_promoted", "permanent"),
    [
        ("# auto-promoted=2026-11-20", date(2026, 11, 20), False),
        ("# coord-managed=permanent", None, True),
        ("# auto-promoted=2026-11-20 coord-managed=permanent", date(2026, 11, 20), True),
        ("# coord-managed=permanent  # auto-promoted=2026-01-02", date(2026, 1, 2), True),
        (
            "# auto-promoted=2026-11-20; pinned by ops: coord-managed=permanent",
            date(2026, 11, 20),
            True,
        ),
        ("# lockfile, everyone touches it", None, False),
        ("# not-auto-promoted=2026-11-20", None, False),
        ("", None, False),
    ],
)
def test_markers_are_read_from_the_entry_line(
    comment: str, auto_promoted: date | None, permanent: bool
) -> None:
    config = parse_owners(f"shared_files:\n  - src/a.ts    {comment}\n")
    assert config.shared_files == (SharedFileEntry("src/a.ts", auto_promoted, permanent),)


def test_a_marker_on_another_line_does_not_apply() -> None:
    text = (
        "shared_files:\n"
        "  # auto-promoted=2026-11-20 coord-managed=permanent\n"
        "  - src/a.ts\n"
        "  - src/b.ts\n"
        "  # coord-managed=permanent\n"
    )
    assert parse_owners(text).shared_files == (
        SharedFileEntry("src/a.ts"),
        SharedFileEntry("src/b.ts"),
    )


def test_a_hash_inside_a_pattern_is_not_a_comment() -> None:
    text = (
        'shared_files:\n  - "a #auto-promoted=2026-01-01"\n  - b#c   # auto-promoted=2026-02-03\n'
    )
    assert parse_owners(text).shared_files == (
        SharedFileEntry("a #auto-promoted=2026-01-01"),
        SharedFileEntry("b#c", date(2026, 2, 3)),
    )


def test_flow_lists_carry_no_markers() -> None:
    text = "shared_files: [src/a.ts, src/b.ts]  # auto-promoted=2026-11-20\n"
    assert parse_owners(text).shared_files == (
        SharedFileEntry("src/a.ts"),
        SharedFileEntry("src/b.ts"),
    )


def test_marker_helpers_spell_what_the_parser_reads() -> None:
    line = f"  - x.ts  # {auto_promoted_marker(date(2026, 3, 4))} {PERMANENT_MARKER}\n"
    assert parse_owners("shared_files:\n" + line).shared_files == (
        SharedFileEntry("x.ts", date(2026, 3, 4), permanent=True),
    )


@pytest.mark.parametrize(
    ("entry", "demotable"),
    [
        (SharedFileEntry("a", date(2026, 1, 1)), True),
        (SharedFileEntry("a", date(2026, 1, 1), permanent=True), False),
        (SharedFileEntry("a"), False),
        (SharedFileEntry("a", permanent=True), False),
    ],
)
def test_only_auto_promoted_unpinned_entries_are_demotable(
    entry: SharedFileEntry, demotable: bool
) -> None:
    assert entry.demotable is demotable


# Suggested splits.


def test_split_entries_take_several_spellings() -> None:
    text = (
        "suggested_splits:\n"
        "  - src/a.ts\n"
        "  - pattern: src/b.ts\n"
        "    suggested_at: 2026-11-20T10:00:00Z\n"
        "  - {pattern: src/c.ts, suggested_at: '2026-11-20T12:00:00+02:00', note: ~}\n"
        "  - {pattern: src/d.ts, suggested_at: 2026-11-20}\n"
        "  - {pattern: src/e.ts, suggested_at: '2026-11-20 10:00:00'}\n"
    )
    ten = datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert parse_owners(text).suggested_splits == (
        SuggestedSplit("src/a.ts"),
        SuggestedSplit("src/b.ts", ten),
        SuggestedSplit("src/c.ts", ten),
        SuggestedSplit("src/d.ts", datetime(2026, 11, 20, tzinfo=UTC)),
        SuggestedSplit("src/e.ts", ten),
    )


# Helpers the decision code uses.


HELPERS_DOC = """\
areas:
  auth:
    paths: [src/auth/**, src/session.ts]
    severity: hard
  web:
    paths: [web/**]
  billing:
    paths: [src/billing/**, src/auth/**]
    severity: hard
shared_files:
  - package.json
  - src/app/router.ts
"""


def test_hard_patterns_are_the_hard_areas_paths_once_each() -> None:
    config = parse_owners(HELPERS_DOC)
    assert config.hard_patterns() == ("src/auth/**", "src/session.ts", "src/billing/**")
    assert config.shared_patterns() == ("package.json", "src/app/router.ts")


@pytest.mark.parametrize(
    ("pattern", "severity"),
    [
        ("src/auth/login.ts", Severity.HARD),
        ("src/*.ts", Severity.HARD),
        ("**/*.py", Severity.HARD),
        ("src/auth_v2/x.ts", Severity.SOFT),
        ("web/index.ts", Severity.SOFT),
        ("docs/**", Severity.SOFT),
    ],
)
def test_severity_is_hard_when_a_hard_area_overlaps(pattern: str, severity: Severity) -> None:
    assert parse_owners(HELPERS_DOC).severity_for(pattern) is severity


def test_entries_are_found_by_canonical_pattern() -> None:
    config = parse_owners(SPEC_EXAMPLE)
    assert config.shared_entry("src/app/router.ts") == config.shared_files[1]
    assert config.shared_entry("src/app") is None
    assert config.split_entry("src/app/shell.ts") == config.suggested_splits[0]
    assert config.split_entry("src/app/router.ts") is None


# Errors name the line, the key, the rule and the fix.


@pytest.mark.parametrize(
    ("text", "line", "rule", "message"),
    [
        (
            "areas:\n  auth:\n    paths: [src/auth/**]\n    severity: strict\n",
            4,
            OwnersRule.SEVERITY,
            "line 4: areas.auth.severity must be 'soft' or 'hard', got 'strict'",
        ),
        (
            "areas: {}\nowners_of_things: 1\n",
            2,
            OwnersRule.UNKNOWN_KEY,
            "line 2: the top level has the unknown key 'owners_of_things'; allowed keys are "
            "areas, modules, shared_files, suggested_splits",
        ),
        (
            "areas:\n  auth:\n    paths: [a]\n    reviewers: [b]\n",
            4,
            OwnersRule.UNKNOWN_KEY,
            "line 4: areas.auth has the unknown key 'reviewers'; allowed keys are paths, "
            "owners, severity",
        ),
        (
            "areas:\n  auth:\n    owners: [alex]\n",
            3,
            OwnersRule.REQUIRED,
            "line 3: areas.auth needs at least one pattern under paths, "
            'e.g. paths: ["src/auth/**"]',
        ),
        (
            "modules:\n  auth:\n    paths: []\n",
            3,
            OwnersRule.REQUIRED,
            "line 3: modules.auth needs at least one pattern",
        ),
        (
            "areas:\n  auth:\n    paths: src/auth/**\n",
            3,
            OwnersRule.TYPE,
            "line 3: areas.auth.paths must be a list, got 'src/auth/**'",
        ),
        (
            "areas:\n  auth:\n",
            2,
            OwnersRule.TYPE,
            "areas.auth must be a mapping with paths, owners, severity, got nothing",
        ),
        (
            "areas:\n  auth:\n    paths: [a]\n    owners: [alex, 42]\n",
            4,
            OwnersRule.TYPE,
            "areas.auth.owners[1] must be a non-empty string, got a number (42); "
            "write it in quotes",
        ),
        (
            "areas:\n  auth:\n    paths:\n      - src/auth\n      - ../secrets\n",
            5,
            OwnersRule.PATTERN,
            "line 5: areas.auth.paths[1] is not a valid pattern: invalid pattern '../secrets'",
        ),
        (
            "shared_files:\n  - a.ts\n  - '!b.ts'\n",
            3,
            OwnersRule.PATTERN,
            "shared_files[1] is not a valid pattern",
        ),
        (
            "shared_files:\n  - [a.ts]\n",
            2,
            OwnersRule.TYPE,
            "shared_files[0] must be a non-empty string, got a list",
        ),
        (
            "shared_files:\n  a.ts: yes\n",
            2,
            OwnersRule.TYPE,
            "shared_files must be a list, got a mapping",
        ),
        (
            "areas:\n  a:\n    paths: [a]\n  a:\n    paths: [b]\n",
            4,
            OwnersRule.DUPLICATE_KEY,
            "line 4: areas.a appears twice (first on line 2); keep one",
        ),
        (
            "areas: {}\nmodules: {}\n",
            2,
            OwnersRule.DUPLICATE_KEY,
            "'areas' and 'modules' name the same section; keep one of them",
        ),
        (
            "shared_files:\n  - src/a.ts\n  - ./src//a.ts\n",
            3,
            OwnersRule.DUPLICATE_ENTRY,
            "line 3: shared_files lists 'src/a.ts' again (first on line 2)",
        ),
        (
            "suggested_splits:\n  - a.ts\n  - {pattern: a.ts}\n",
            3,
            OwnersRule.DUPLICATE_ENTRY,
            "suggested_splits lists 'a.ts' again",
        ),
        (
            "shared_files:\n  - a.ts  # auto-promoted=2026-02-30\n",
            2,
            OwnersRule.MARKER,
            "'auto-promoted=2026-02-30', which is not a date; write auto-promoted=YYYY-MM-DD",
        ),
        (
            "shared_files:\n  - a.ts  # auto-promoted=yesterday\n",
            2,
            OwnersRule.MARKER,
            "which is not a date",
        ),
        (
            "shared_files:\n  - a.ts  # coord-managed=forever\n",
            2,
            OwnersRule.MARKER,
            "has the marker 'coord-managed=forever'; its only value is 'permanent'",
        ),
        (
            "suggested_splits:\n  - {note: big}\n",
            2,
            OwnersRule.REQUIRED,
            "suggested_splits[0] has no pattern; add pattern: <path>",
        ),
        (
            "suggested_splits:\n  - {pattern: a, by: me}\n",
            2,
            OwnersRule.UNKNOWN_KEY,
            "suggested_splits[0] has the unknown key 'by'",
        ),
        (
            "suggested_splits:\n  - pattern: a\n    suggested_at: last week\n",
            3,
            OwnersRule.TIMESTAMP,
            "suggested_splits[0].suggested_at must be an ISO-8601 time",
        ),
        (
            "suggested_splits:\n  - [a]\n",
            2,
            OwnersRule.TYPE,
            "must be a pattern or a mapping with pattern, suggested_at, note, got a list",
        ),
        (
            "- a.ts\n- b.ts\n",
            1,
            OwnersRule.DOCUMENT,
            "the top level must be a mapping",
        ),
        (
            "areas:\n  auth:\n    paths: [src/auth/**\nshared_files: []\n",
            4,
            OwnersRule.SYNTAX,
            "not valid YAML",
        ),
        (
            "areas:\n  a: &base\n    paths: [a/**]\n  b: *base\n",
            4,
            OwnersRule.ALIAS,
            "the alias *base repeats another part of the document",
        ),
        (
            "areas:\n  - auth\n",
            2,
            OwnersRule.TYPE,
            "areas must be a mapping of names, got a list",
        ),
        (
            "suggested_splits:\n  - {pattern: a, suggested_at: 12}\n",
            2,
            OwnersRule.TIMESTAMP,
            'must be an ISO-8601 time such as "2026-11-20T10:00:00Z", got a number (12)',
        ),
        (
            "shared_files:\n  - yes\n",
            2,
            OwnersRule.TYPE,
            "got a boolean (yes); write it in quotes",
        ),
    ],
)
def test_invalid_documents_are_refused_with_line_and_rule(
    text: str, line: int, rule: OwnersRule, message: str
) -> None:
    with pytest.raises(OwnersError) as caught:
        parse_owners(text)
    assert caught.value.line == line
    assert caught.value.rule is rule
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"line {line}: ")


def test_characters_yaml_forbids_are_a_syntax_error() -> None:
    with pytest.raises(OwnersError, match="not valid YAML") as caught:
        parse_owners("shared_files:\n  - a\x07b\n")
    assert caught.value.rule is OwnersRule.SYNTAX


def test_owners_error_is_a_value_error_with_the_message() -> None:
    with pytest.raises(ValueError, match="severity") as caught:
        parse_owners("areas:\n  a:\n    paths: [a]\n    severity: 3\n")
    assert isinstance(caught.value, OwnersError)
    assert caught.value.message == str(caught.value)


def _nested_blocks(levels: int) -> str:
    return "".join(" " * level + f"k{level}:\n" for level in range(levels))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("areas: " + "[" * 5000 + "]" * 5000 + "\n", 1, id="flow"),
        pytest.param(_nested_blocks(5000), MAX_DEPTH, id="block"),
    ],
)
def test_a_document_nested_too_deep_is_refused_naming_the_line(text: str, line: int) -> None:
    with pytest.raises(OwnersError, match=f"deeper than {MAX_DEPTH} levels") as caught:
        parse_owners(text)
    assert caught.value.rule is OwnersRule.DEPTH
    assert caught.value.line == line


def test_nesting_up_to_the_limit_reaches_the_format_rules() -> None:
    # One level fewer than the limit composes; the format then refuses the unknown key.
    with pytest.raises(OwnersError) as caught:
        parse_owners(_nested_blocks(MAX_DEPTH - 1))
    assert caught.value.rule is OwnersRule.UNKNOWN_KEY


def test_a_document_with_too_many_nodes_is_refused() -> None:
    entries = "".join(f"  - src/f{number}.ts\n" for number in range(MAX_NODES))
    with pytest.raises(OwnersError, match=f"more than {MAX_NODES} entries") as caught:
        parse_owners("shared_files:\n" + entries)
    assert caught.value.rule is OwnersRule.SIZE
    assert caught.value.line == MAX_NODES - 1
