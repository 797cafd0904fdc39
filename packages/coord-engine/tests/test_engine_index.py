"""The claim index: a superset of the overlapping claims, without scanning unrelated ones."""

from __future__ import annotations

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from coord_engine.index import ClaimIndex, RepoIndexes
from coord_engine.overlap import overlaps
from coord_engine.patterns import PatternError, normalize_pattern


def _index(claims: dict[str, str]) -> ClaimIndex[str]:
    index: ClaimIndex[str] = ClaimIndex()
    for claim_id, pattern in claims.items():
        index.add(claim_id, pattern)
    return index


_CLAIMS = {
    "exact": "src/auth/login.ts",
    "dir": "src/auth",
    "tree": "src/**",
    "glob": "src/auth/*.ts",
    "anywhere": "*.ts",
    "deep-wild": "**/login.ts",
    "sibling": "src/billing/**",
    "other-top": "lib/x.ts",
    "below": "src/auth/login.ts/extra",
}


def test_literal_path_gets_ancestors_descendants_and_unanchored_claims() -> None:
    found = _index(_CLAIMS).candidates("src/auth/login.ts")
    assert {"exact", "dir", "tree", "glob", "anywhere", "deep-wild", "below"} <= found
    assert "sibling" not in found
    assert "other-top" not in found


def test_directory_query_gets_everything_below_it() -> None:
    found = _index(_CLAIMS).candidates("src/**")
    assert {"exact", "dir", "tree", "glob", "sibling", "below", "anywhere"} <= found
    assert "other-top" not in found


def test_query_without_literal_prefix_gets_every_claim() -> None:
    index = _index(_CLAIMS)
    assert index.candidates("*.py") == set(_CLAIMS)
    assert index.candidates("**/x.ts") == set(_CLAIMS)


def test_query_below_any_stored_path_gets_only_ancestors_and_loose_claims() -> None:
    found = _index(_CLAIMS).candidates("src/auth/new/deeper/file.ts")
    assert {"dir", "tree", "anywhere", "deep-wild"} <= found
    assert not {"exact", "sibling", "other-top", "below"} & found


def test_remove_forgets_a_claim_and_tolerates_repeats() -> None:
    index = _index(_CLAIMS)
    index.remove("exact")
    index.remove("exact")
    index.remove("anywhere")
    index.remove("never-added")
    assert len(index) == len(_CLAIMS) - 2
    assert "exact" not in index
    found = index.candidates("src/auth/login.ts")
    assert "exact" not in found
    assert "anywhere" not in found
    assert "below" in found


def test_removing_every_claim_leaves_an_empty_index() -> None:
    index = _index(_CLAIMS)
    for claim_id in _CLAIMS:
        index.remove(claim_id)
    assert len(index) == 0
    assert not index
    assert index.candidates("src/auth/login.ts") == set()
    index.add("again", "src/auth/login.ts")
    assert index.candidates("src/**") == {"again"}


def test_adding_a_key_again_moves_it_to_the_new_pattern() -> None:
    index = _index({"c1": "src/a.ts"})
    index.add("c1", "lib/b.ts")
    assert len(index) == 1
    assert "c1" not in index.candidates("src/a.ts")
    assert "c1" in index.candidates("lib/b.ts")


def test_union_candidates_covers_every_pattern() -> None:
    index = _index(_CLAIMS)
    found = index.union_candidates(["lib/x.ts", "src/billing/a.ts"])
    assert {"other-top", "sibling", "tree", "anywhere"} <= found
    assert "exact" not in found


def test_repo_buckets_never_mix() -> None:
    indexes: RepoIndexes[str] = RepoIndexes()
    indexes.add("acme/web", "c1", "src/a.ts")
    indexes.add(None, "c2", "src/a.ts")
    indexes.add("acme/api", "c3", "src/a.ts")
    assert indexes.candidates("acme/web", "src/a.ts") == {"c1"}
    assert indexes.candidates(None, "src/a.ts") == {"c2"}
    assert indexes.candidates("acme/other", "src/a.ts") == set()
    assert indexes.union_candidates("acme/api", ["src/**", "x"]) == {"c3"}
    assert indexes.union_candidates("acme/none", ["src/**"]) == set()
    assert len(indexes) == 3


def test_repo_indexes_move_and_remove_keys() -> None:
    indexes: RepoIndexes[str] = RepoIndexes()
    indexes.add("acme/web", "c1", "src/a.ts")
    indexes.add("acme/api", "c1", "src/a.ts")
    indexes.add("acme/api", "c2", "src/*")
    assert indexes.candidates("acme/web", "src/a.ts") == set()
    assert indexes.candidates("acme/api", "src/a.ts") == {"c1", "c2"}
    indexes.remove("c1")
    indexes.remove("c1")
    assert "c1" not in indexes
    assert indexes.candidates("acme/api", "src/a.ts") == {"c2"}
    indexes.remove("c2")
    assert len(indexes) == 0


_segments = st.sampled_from(["a", "b", "ab", "*", "a*", "*b", "?", "**", "[ab]", "a.ts"])


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    raw = "/".join(draw(st.lists(_segments, min_size=1, max_size=4)))
    raw = draw(st.sampled_from(["", "/"])) + raw + draw(st.sampled_from(["", "/"]))
    try:
        return normalize_pattern(raw)
    except PatternError:
        reject()


@settings(max_examples=300, deadline=None)
@given(st.lists(_patterns(), max_size=14), _patterns(), st.data())
def test_candidates_are_a_superset_of_the_overlapping_claims(
    held: list[str], query: str, data: st.DataObject
) -> None:
    index = _index({f"c{n}": pattern for n, pattern in enumerate(held)})
    removed = data.draw(st.sets(st.sampled_from([f"c{n}" for n in range(len(held))] or ["x"])))
    for claim_id in removed:
        index.remove(claim_id)
    found = index.candidates(query)
    live = {f"c{n}": p for n, p in enumerate(held) if f"c{n}" not in removed}
    assert {claim_id for claim_id, pattern in live.items() if overlaps(pattern, query)} <= found
    assert found <= set(live)


@pytest.mark.parametrize("count", [1, 50])
def test_claims_in_unrelated_directories_are_not_candidates(count: int) -> None:
    index = _index({f"c{n}": f"pkg{n}/mod/file{n}.ts" for n in range(count)})
    index.add("mine", "app/main.ts")
    assert index.candidates("app/main.ts") == {"mine"}


_LITERALS = ["a", "ab", "abc", "abd", "b"]
_GLOBS = ["a*", "ab*", "abc?", "a[bc]", "ab[!c]d", "[!a]b", "*", "**"]


@st.composite
def _headed_patterns(draw: st.DrawFn) -> str:
    """Literal directories, then a glob segment that may start with literal text, then more."""
    lead = draw(st.lists(st.sampled_from(_LITERALS), min_size=1, max_size=2))
    tail = draw(st.lists(st.sampled_from(["a", "x.ts", "*"]), max_size=1))
    return normalize_pattern("/".join([*lead, draw(st.sampled_from(_GLOBS)), *tail]))


# Queries are mostly paths: they walk past the levels where claims are filed by their text.
_queries = st.one_of(
    _headed_patterns(), st.lists(st.sampled_from(_LITERALS), min_size=1, max_size=4).map("/".join)
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_headed_patterns(), max_size=12), _queries)
def test_claims_filed_by_the_text_their_glob_starts_with_are_found_when_they_overlap(
    held: list[str], query: str
) -> None:
    index = _index({f"c{n}": pattern for n, pattern in enumerate(held)})
    found = index.candidates(query)
    assert {f"c{n}" for n, pattern in enumerate(held) if overlaps(pattern, query)} <= found
    for claim_id in list(found):
        index.remove(claim_id)
    assert not index.candidates(query) & found


def test_a_glob_starting_with_other_text_is_not_a_candidate() -> None:
    index = _index({"wip": "src/wip_*.py", "w": "src/w*", "any": "src/*.py", "dir": "src"})
    assert index.candidates("src/main.py") == {"any", "dir"}
    assert index.candidates("src/wip_1.py") == {"wip", "w", "any", "dir"}
    assert index.candidates("src/*.py") == {"wip", "w", "any", "dir"}
    index.remove("wip")
    index.remove("w")
    assert index.candidates("src/wip_1.py") == {"any", "dir"}
