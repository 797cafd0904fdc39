"""decide(): the SPEC §4.2 table, adversaries, batches, shared files, TTL and severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coord_engine.claims import ActiveClaim, ClaimItem, ClaimRequest, Policy
from coord_engine.decide import Decision, decide, prepare_items, severity_for, shared_entry_for
from coord_engine.index import ClaimIndex
from coord_engine.matching import matches
from coord_engine.patterns import PatternError
from coord_engine.symbol_paths import SymbolPathError
from coord_protocol.vocab import ClaimType, ScopeType, Severity

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
FILE, MODULE, SHARED = ClaimType.FILE, ClaimType.MODULE, ClaimType.SHARED_FILE


def held(
    pattern: str,
    claim_id: str = "h1",
    *,
    engineer: str = "bob",
    claim_type: ClaimType = FILE,
    symbols: tuple[str, ...] | None = None,
    narrowable: bool | None = None,
    shared: bool = False,
    session_id: str | None = None,
    repo: str | None = None,
    expires_at: datetime = NOW + timedelta(hours=1),
) -> ActiveClaim:
    return ActiveClaim(
        id=claim_id,
        engineer=engineer,
        session_id=session_id,
        repo=repo,
        claim_type=claim_type,
        pattern=pattern,
        symbols=symbols,
        narrowable=claim_type is FILE if narrowable is None else narrowable,
        shared=shared,
        severity=Severity.SOFT,
        description="busy",
        expires_at=expires_at,
    )


def item(
    pattern: str,
    claim_type: ClaimType = FILE,
    symbols: tuple[str, ...] | None = None,
    narrowable: bool | None = None,
) -> ClaimItem:
    return ClaimItem(claim_type, pattern, symbols, narrowable)


def ask(
    *items: ClaimItem,
    engineer: str = "alice",
    session_id: str | None = None,
    repo: str | None = None,
    ttl_hours: float | None = None,
) -> ClaimRequest:
    return ClaimRequest(engineer, session_id, repo, items, ttl_hours)


def run(request: ClaimRequest, *claims: ActiveClaim, policy: Policy | None = None) -> Decision:
    return decide(request, claims, policy or Policy(), NOW)


# --- SPEC §4.2, row by row -------------------------------------------------------------------


@pytest.mark.parametrize("holder_type", [FILE, MODULE])
@pytest.mark.parametrize("requested_type", [FILE, MODULE])
@pytest.mark.parametrize(
    ("holder_pattern", "requested_pattern"),
    [
        ("src/a.ts", "src/a.ts"),
        ("src/**", "src/auth/login.ts"),
        ("lib/*_test.py", "lib/test_*.py"),
        ("*.ts", "src/a.ts"),
    ],
)
def test_exclusive_against_exclusive_conflicts(
    holder_type: ClaimType, requested_type: ClaimType, holder_pattern: str, requested_pattern: str
) -> None:
    holder = held(holder_pattern, claim_type=holder_type)
    decision = run(ask(item(requested_pattern, requested_type)), holder)
    assert not decision.granted
    assert decision.grants == ()
    (conflict,) = decision.conflicts
    assert conflict.holder == holder
    assert conflict.item.pattern == requested_pattern
    assert matches(holder_pattern, conflict.witness)
    assert matches(requested_pattern, conflict.witness)
    assert conflict.symbol_overlap is None
    assert conflict.your_symbols is None
    assert decision.blocking_claim_ids == ("h1",)


@pytest.mark.parametrize(
    ("holder_pattern", "requested_pattern"),
    [("src/auth/**", "src/auth_v2/x"), ("src/*.md", "src/a.ts"), ("lib/**", "src/a.ts")],
)
def test_disjoint_patterns_never_interact(holder_pattern: str, requested_pattern: str) -> None:
    decision = run(ask(item(requested_pattern)), held(holder_pattern))
    assert decision.granted
    (grant,) = decision.grants
    assert grant.coexisting == ()
    assert grant.narrowed == ()
    assert grant.shared_with == ()
    assert grant.notices == ()


@pytest.mark.parametrize(
    ("holder_pattern", "holder_symbols", "requested_pattern", "requested_symbols", "overlap"),
    [
        ("src/a.ts", ("foo",), "src/a.ts", ("foo",), ("foo",)),
        ("src/*.ts", ("foo",), "src/a.ts", ("foo",), ("foo",)),
        ("src/a.ts", ("foo",), "src/*.ts", ("foo", "bar"), ("foo",)),
        ("src/r.ts", ("Router",), "src/r.ts", ("Router::handleAuth",), ("Router::handleAuth",)),
        ("src/r.ts", ("Router::handleAuth",), "src/r.ts", ("Router",), ("Router::handleAuth",)),
    ],
)
def test_symbol_against_overlapping_symbols_conflicts_listing_them(
    holder_pattern: str,
    holder_symbols: tuple[str, ...],
    requested_pattern: str,
    requested_symbols: tuple[str, ...],
    overlap: tuple[str, ...],
) -> None:
    holder = held(holder_pattern, symbols=holder_symbols)
    decision = run(ask(item(requested_pattern, symbols=requested_symbols)), holder)
    (conflict,) = decision.conflicts
    assert conflict.symbol_overlap == overlap
    assert conflict.your_symbols == tuple(sorted(requested_symbols))
    assert conflict.holder.scope_type is ScopeType.SYMBOL


@pytest.mark.parametrize(
    ("holder_symbols", "requested_symbols"),
    [
        (("Router::handleAuth",), ("Router::handleLogout",)),
        (("foo",), ("bar", "baz")),
        (("Router",), ("RouterX",)),
    ],
)
def test_symbol_against_disjoint_symbols_coexists(
    holder_symbols: tuple[str, ...], requested_symbols: tuple[str, ...]
) -> None:
    holder = held("src/r.ts", symbols=holder_symbols)
    decision = run(ask(item("src/r.ts", symbols=requested_symbols)), holder)
    assert decision.granted
    (grant,) = decision.grants
    assert grant.coexisting == (holder,)
    assert grant.coexists_with == ("h1",)
    assert grant.scope_type is ScopeType.SYMBOL
    assert any("auto-coexist" in notice and "bob" in notice for notice in grant.notices)


def test_symbols_on_disjoint_files_never_interact() -> None:
    decision = run(ask(item("src/b.ts", symbols=("foo",))), held("src/a.ts", symbols=("foo",)))
    assert decision.granted
    assert decision.grants[0].coexisting == ()


def test_narrowable_file_holder_is_auto_narrowed_around_requested_symbols() -> None:
    holder = held("src/r.ts")
    decision = run(ask(item("src/r.ts", symbols=("b", "a"))), holder)
    assert decision.granted
    (grant,) = decision.grants
    (narrow,) = grant.narrowed
    assert narrow.holder == holder
    assert narrow.symbols == ("a", "b")
    assert grant.coexists_with == ("h1",)
    assert any("auto-narrow" in notice for notice in grant.notices)


def test_narrowable_glob_holder_is_auto_narrowed_for_one_file() -> None:
    decision = run(ask(item("src/r.ts", symbols=("f",))), held("src/**"))
    assert decision.granted
    assert decision.grants[0].narrowed[0].holder.id == "h1"


@pytest.mark.parametrize(
    ("holder_type", "narrowable"),
    [(FILE, False), (MODULE, False), (MODULE, True)],
)
def test_unnarrowable_holder_blocks_symbol_requester(
    holder_type: ClaimType, narrowable: bool
) -> None:
    holder = held("src/r.ts", claim_type=holder_type, narrowable=narrowable)
    decision = run(ask(item("src/r.ts", symbols=("f",))), holder)
    (conflict,) = decision.conflicts
    assert conflict.symbol_overlap is None
    assert conflict.your_symbols == ("f",)


@pytest.mark.parametrize("requested_type", [FILE, MODULE])
def test_symbol_holder_blocks_whole_file_requester_listing_its_symbols(
    requested_type: ClaimType,
) -> None:
    holder = held("src/r.ts", symbols=("Router::a", "Router::b"))
    decision = run(ask(item("src/*.ts", requested_type)), holder)
    (conflict,) = decision.conflicts
    assert conflict.symbol_overlap == ("Router::a", "Router::b")
    assert conflict.your_symbols is None
    assert conflict.witness.startswith("src/")


# --- adversaries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "holder",
    [
        held("src/a.ts", engineer="alice"),
        held("src/a.ts", engineer="carol", session_id="s-1"),
        held("src/a.ts", repo="acme/web"),
        held("src/a.ts", expires_at=NOW),
        held("src/a.ts", expires_at=NOW - timedelta(seconds=1)),
    ],
    ids=["same-engineer", "same-session", "other-repo", "expires-now", "expired"],
)
def test_claims_that_are_not_adversaries_never_conflict(holder: ActiveClaim) -> None:
    decision = run(ask(item("src/a.ts"), session_id="s-1"), holder)
    assert decision.granted
    assert decision.grants[0].item.pattern == "src/a.ts"


def test_requests_without_session_do_not_share_a_no_session_bucket() -> None:
    assert not run(ask(item("src/a.ts")), held("src/a.ts", session_id=None)).granted


def test_repo_buckets_match_exactly() -> None:
    holder = held("src/a.ts", repo="acme/web")
    assert not run(ask(item("src/a.ts"), repo="acme/web"), holder).granted
    assert run(ask(item("src/a.ts"), repo=None), holder).granted
    assert not run(ask(item("src/a.ts")), held("src/a.ts", repo=None)).granted


def test_claim_expiring_just_after_now_still_blocks() -> None:
    holder = held("src/a.ts", expires_at=NOW + timedelta(microseconds=1))
    assert not run(ask(item("src/a.ts")), holder).granted


# --- batches -------------------------------------------------------------------------------


def test_batch_is_all_or_nothing_and_reports_every_pair_once() -> None:
    holders = (
        held("src/a.ts", "h1"),
        held("src/**", "h2", engineer="carol"),
        held("docs/x.md", "h3"),
    )
    request = ask(item("src/a.ts"), item("src/b.ts"), item("lib/free.py"))
    decision = run(request, *holders, holders[0], holders[1])
    assert not decision.granted
    assert decision.grants == ()
    pairs = [(c.item.pattern, c.holder.id) for c in decision.conflicts]
    assert sorted(pairs) == [("src/a.ts", "h1"), ("src/a.ts", "h2"), ("src/b.ts", "h2")]
    assert decision.blocking_claim_ids == ("h1", "h2")


def test_identical_items_are_merged_after_normalisation() -> None:
    decision = run(
        ask(
            item("./src/a.ts"),
            item("src//a.ts"),
            item("src/r.ts", symbols=("b", "a")),
            item("src/r.ts", symbols=("a", "b", "a")),
            item("src/a.ts", MODULE),
        ),
        held("src/a.ts"),
    )
    assert [(c.item.type, c.item.pattern) for c in decision.conflicts] == [
        (FILE, "src/a.ts"),
        (MODULE, "src/a.ts"),
    ]
    granted = run(ask(item("./src/a.ts"), item("src/a.ts"), item("docs\\b.md")))
    assert [g.item.pattern for g in granted.grants] == ["src/a.ts", "docs/b.md"]


def test_merged_item_is_narrowable_only_if_every_copy_was() -> None:
    (merged,) = prepare_items([item("src/a.ts"), item("src/a.ts", narrowable=False)])
    assert merged.narrowable is False
    (kept,) = prepare_items([item("src/a.ts", narrowable=False), item("src/a.ts")])
    assert kept.narrowable is False


@pytest.mark.parametrize(
    ("claim_type", "narrowable", "expected"),
    [
        (FILE, None, True),
        (FILE, True, True),
        (FILE, False, False),
        (MODULE, None, False),
        (MODULE, True, False),
        (SHARED, None, False),
    ],
)
def test_narrowable_defaults_by_type(
    claim_type: ClaimType, narrowable: bool | None, expected: bool
) -> None:
    (grant,) = run(ask(item("src/a.ts", claim_type, narrowable=narrowable))).grants
    assert grant.narrowable is expected
    assert grant.item.narrowable is expected


def test_invalid_input_raises_before_anything_is_decided() -> None:
    with pytest.raises(PatternError):
        run(ask(item("../etc/passwd")))
    with pytest.raises(SymbolPathError) as caught:
        run(ask(item("src/a.ts", symbols=("ok", "not ok"))))
    assert caught.value.symbol == "not ok"
    with pytest.raises(SymbolPathError, match="omit `symbols`"):
        run(ask(item("src/a.ts", symbols=())))


# --- shared files (SPEC §4.4) --------------------------------------------------------------


def test_shared_file_request_never_conflicts_and_names_the_other_holders() -> None:
    holders = (held("package-lock.json", "h1"), held("**/package-lock.json", "h2", symbols=("x",)))
    decision = run(ask(item("package-lock.json", SHARED)), *holders)
    assert decision.granted
    (grant,) = decision.grants
    assert grant.shared
    assert grant.shared_with == holders
    assert decision.warnings == ()
    (notice,) = grant.notices
    assert "h1" in notice
    assert "h2" in notice
    assert "bob" in notice


@pytest.mark.parametrize(
    "holder",
    [
        held("package-lock.json", claim_type=SHARED),
        held("package-lock.json", shared=True),
    ],
    ids=["shared-type", "shared-by-policy"],
)
def test_nothing_conflicts_with_a_shared_holder(holder: ActiveClaim) -> None:
    for requested in (
        item("package-lock.json"),
        item("*.json", MODULE),
        item("package-lock.json", symbols=("f",)),
    ):
        decision = run(ask(requested), holder)
        assert decision.granted
        assert decision.grants[0].shared_with == (holder,)
        assert not decision.grants[0].shared
        assert "shared claims held by" in decision.grants[0].notices[0]


@pytest.mark.parametrize(
    ("entry", "pattern"),
    [
        ("src/app/router.ts", "src/app/router.ts"),
        ("src/app/**", "src/app/router.ts"),
        ("src/app/**", "src/app/*.ts"),
    ],
)
def test_file_claim_inside_a_shared_entry_becomes_shared_with_a_warning(
    entry: str, pattern: str
) -> None:
    policy = Policy(shared_patterns=(entry,), shared_ttl_hours=2.0, default_ttl_hours=4.0)
    decision = run(ask(item(pattern), ttl_hours=8.0), held(pattern), policy=policy)
    assert decision.granted
    (grant,) = decision.grants
    assert grant.shared
    assert grant.expires_at == NOW + timedelta(hours=2)
    (warning,) = decision.warnings
    assert pattern in warning
    assert entry in warning
    assert shared_entry_for(pattern, policy) == entry


def test_exclusive_claims_overlapping_on_a_shared_path_still_conflict() -> None:
    policy = Policy(shared_patterns=("src/app/router.ts",))
    decision = run(ask(item("src/app/*")), held("src/**"), policy=policy)
    assert not decision.granted
    assert shared_entry_for("src/app/*", policy) is None
    assert shared_entry_for("src/app/router.tsx", policy) is None


def test_conflicts_keep_the_shared_warnings() -> None:
    policy = Policy(shared_patterns=("a.json",))
    decision = run(ask(item("a.json"), item("src/x.ts")), held("src/x.ts"), policy=policy)
    assert not decision.granted
    assert len(decision.warnings) == 1


# --- TTL and severity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ttl_hours", "claim_type", "hours"),
    [
        (None, FILE, 4.0),
        (1.5, FILE, 1.5),
        (168, MODULE, 168.0),
        (None, SHARED, 2.0),
        (100.0, SHARED, 2.0),
    ],
)
def test_lifetime_comes_from_request_or_policy(
    ttl_hours: float | None, claim_type: ClaimType, hours: float
) -> None:
    (grant,) = run(ask(item("src/a.ts", claim_type), ttl_hours=ttl_hours)).grants
    assert grant.expires_at == NOW + timedelta(hours=hours)


@pytest.mark.parametrize("ttl_hours", [0, -1.0, 168.01, float("nan")])
def test_lifetime_out_of_range_is_refused(ttl_hours: float) -> None:
    with pytest.raises(ValueError, match="ttl_hours"):
        run(ask(item("src/a.ts"), ttl_hours=ttl_hours))


def test_policy_lifetime_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="ttl_hours"):
        run(ask(item("src/a.ts", SHARED)), policy=Policy(shared_ttl_hours=0))


def test_severity_is_hard_where_a_hard_area_overlaps() -> None:
    policy = Policy(hard_patterns=("src/auth/**", "deps/*.lock"))
    decision = run(
        ask(item("src/*/login.ts"), item("src/billing/x.ts"), item("deps/yarn.lock")),
        policy=policy,
    )
    assert [g.severity for g in decision.grants] == [Severity.HARD, Severity.SOFT, Severity.HARD]
    assert severity_for("docs/readme.md", policy) is Severity.SOFT


# --- values for the server -----------------------------------------------------------------


def test_grant_becomes_the_active_claim_the_server_stores() -> None:
    request = ask(item("src/r.ts", symbols=("f",)), repo="acme/web", session_id="s-9")
    (grant,) = run(request).grants
    claim = grant.to_active_claim("c42", request, description="fixing f")
    assert claim.id == "c42"
    assert (claim.engineer, claim.session_id, claim.repo) == ("alice", "s-9", "acme/web")
    assert claim.symbols == ("f",)
    assert claim.scope_type is ScopeType.SYMBOL
    assert claim.expires_at == grant.expires_at
    assert claim.description == "fixing f"
    follow_up = run(ask(item("src/r.ts"), engineer="dave", repo="acme/web"), claim)
    assert follow_up.conflicts[0].symbol_overlap == ("f",)


def test_candidates_from_the_index_give_the_same_decision_as_a_full_scan() -> None:
    claims = [held(f"pkg{n}/file.ts", f"c{n}") for n in range(200)]
    claims.append(held("pkg7/**", "wide", engineer="erin"))
    index: ClaimIndex[ActiveClaim] = ClaimIndex()
    for claim in claims:
        index.add(claim, claim.pattern)
    request = ask(item("pkg7/file.ts"), item("pkg9/other.ts"))
    narrow = decide(
        request, index.union_candidates(["pkg7/file.ts", "pkg9/other.ts"]), Policy(), NOW
    )
    full = decide(request, claims, Policy(), NOW)
    assert {c.holder.id for c in narrow.conflicts} == {c.holder.id for c in full.conflicts}
    assert {c.holder.id for c in full.conflicts} == {"c7", "wide"}
