"""Reading git's pre-push input."""

from __future__ import annotations

import pytest

from coord_hooks.pre_push import RefUpdate, parse_ref_updates

ZERO = "0" * 40
HEAD = "a" * 40


def test_ref_lines_are_parsed_and_malformed_ones_named() -> None:
    line = f"refs/heads/main {HEAD} refs/heads/main {ZERO}\n"

    assert parse_ref_updates(line + "\n") == [
        RefUpdate("refs/heads/main", HEAD, "refs/heads/main", ZERO)
    ]
    assert parse_ref_updates(line)[0].creates
    with pytest.raises(ValueError, match="unexpected pre-push input line"):
        parse_ref_updates("refs/heads/main --upload-pack=evil refs/heads/main 00\n")


def test_deletions_and_creations_are_told_apart() -> None:
    deletion, creation = parse_ref_updates(
        f"(delete) {ZERO} refs/heads/old {HEAD}\nrefs/heads/new {HEAD} refs/heads/new {ZERO}\n"
    )

    assert (deletion.deletes, deletion.creates) == (True, False)
    assert (creation.deletes, creation.creates) == (False, True)
