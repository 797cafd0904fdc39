"""Repo awareness: the tracked-file index, scope limits and the cached `git ls-files` snapshot."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coord_engine.matching import matches
from coord_engine.patterns import PatternError, normalize_pattern
from coord_server.repo import listing
from coord_server.repo._compact import SortedPaths, SpanList
from coord_server.repo.limits import ScopeViolation, check_scope
from coord_server.repo.listing import RepoFiles
from coord_server.repo.tracked import TrackedFiles

LOGGER = "coord_server.repo.listing"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- a real git repository -------------------------------------------------------------------


@pytest.fixture
def git() -> Callable[..., None]:
    """Runs git in a directory; skips (or fails under COORD_TEST_REQUIRE_ALL=1) without git."""
    if shutil.which("git") is None:
        reason = "git is not installed: the repo-awareness tests need real git repositories"
        if os.environ.get("COORD_TEST_REQUIRE_ALL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def run(cwd: Path, *args: str) -> None:
        subprocess.run(["git", *args], cwd=cwd, env=environment, check=True, capture_output=True)

    return run


def commit(git: Callable[..., None], root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "add", "--", *files)
    git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "change")


@pytest.fixture
def repo(tmp_path: Path, git: Callable[..., None]) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    commit(
        git,
        root,
        {
            "package.json": "{}",
            "src/App.ts": "",
            "src/auth/login.ts": "",
            "packages/web/index.ts": "",
            "packages/web/util/format.ts": "",
            "packages/api/main.py": "",
        },
    )
    (root / "untracked.ts").write_text("")
    return root


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ls_files_runs(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Records every `git ls-files` run (its scope) while still running it."""
    runs: list[str | None] = []
    real = listing._ls_files

    async def counting(root: Path, scope: str | None) -> bytes:
        runs.append(scope)
        return await real(root, scope)

    monkeypatch.setattr(listing, "_ls_files", counting)
    return runs


# --- snapshots from git ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_snapshot_lists_tracked_files_only(repo: Path, clock: FakeClock) -> None:
    files = RepoFiles(repo, None, 10, clock)
    tracked = await files.snapshot()
    assert files.is_checkout()
    assert not files.scoped
    assert tracked is not None
    assert tracked.total == 6
    assert tracked.matching("**", limit=100) == [
        "package.json",
        "packages/api/main.py",
        "packages/web/index.ts",
        "packages/web/util/format.ts",
        "src/App.ts",
        "src/auth/login.ts",
    ]
    assert not tracked.has_match("untracked.ts")


@pytest.mark.anyio
@pytest.mark.parametrize("scope", ["packages/web", "/packages/web/", "packages\\web"])
async def test_scope_restricts_the_view_and_keeps_repo_relative_paths(
    repo: Path, clock: FakeClock, scope: str
) -> None:
    files = RepoFiles(repo, scope, 10, clock)
    tracked = await files.snapshot()
    assert files.scoped
    assert tracked is not None
    assert tracked.matching("**") == ["packages/web/index.ts", "packages/web/util/format.ts"]
    assert not tracked.has_match("src/App.ts")


@pytest.mark.anyio
async def test_scope_is_a_literal_path_not_a_pathspec_glob(
    repo: Path, clock: FakeClock, git: Callable[..., None]
) -> None:
    commit(git, repo, {"pack*/x.ts": ""})
    tracked = await RepoFiles(repo, "pack*", 10, clock).snapshot()
    assert tracked is not None
    assert tracked.matching("**") == ["pack*/x.ts"]


@pytest.mark.anyio
async def test_non_git_root_returns_none_and_logs_once(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    files = RepoFiles(tmp_path, None, 10, clock)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await files.snapshot() is None
        clock.now += 60
        assert await files.snapshot() is None
    assert not files.is_checkout()
    warnings = [record for record in caplog.records if record.name == LOGGER]
    assert len(warnings) == 1
    assert "not a git checkout" in warnings[0].getMessage()


@pytest.mark.anyio
async def test_missing_root_returns_none(tmp_path: Path, clock: FakeClock) -> None:
    assert await RepoFiles(tmp_path / "absent", None, 10, clock).snapshot() is None


@pytest.mark.anyio
async def test_listing_is_reused_until_the_ttl_passes(
    repo: Path, clock: FakeClock, git: Callable[..., None], ls_files_runs: list[str | None]
) -> None:
    files = RepoFiles(repo, None, 10, clock)
    first = await files.snapshot()
    commit(git, repo, {"src/new.ts": ""})
    clock.now += 9.9
    assert await files.snapshot() is first
    assert len(ls_files_runs) == 1
    clock.now += 0.2
    refreshed = await files.snapshot()
    assert len(ls_files_runs) == 2
    assert refreshed is not None
    assert refreshed.has_match("src/new.ts")


@pytest.mark.anyio
async def test_an_unchanged_listing_keeps_the_same_snapshot(
    repo: Path, clock: FakeClock, ls_files_runs: list[str | None]
) -> None:
    files = RepoFiles(repo, None, 10, clock)
    first = await files.snapshot()
    clock.now += 11
    assert await files.snapshot() is first
    assert len(ls_files_runs) == 2


@pytest.mark.anyio
async def test_concurrent_callers_share_one_git_run(
    repo: Path, clock: FakeClock, ls_files_runs: list[str | None]
) -> None:
    files = RepoFiles(repo, "src", 10, clock)
    results = await asyncio.gather(*(files.snapshot() for _ in range(8)))
    assert ls_files_runs == ["src"]
    assert results[0] is not None
    assert all(result is results[0] for result in results)


@pytest.mark.anyio
async def test_a_cancelled_caller_does_not_cancel_the_shared_run(
    repo: Path, clock: FakeClock
) -> None:
    files = RepoFiles(repo, None, 10, clock)
    impatient = asyncio.create_task(files.snapshot())
    patient = asyncio.create_task(files.snapshot())
    await asyncio.sleep(0)  # both callers now wait on the run
    impatient.cancel()
    tracked = await patient
    assert impatient.cancelled()
    assert tracked is not None
    assert tracked.total == 6


@pytest.mark.anyio
async def test_failing_git_keeps_serving_the_previous_snapshot(
    repo: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    files = RepoFiles(repo, None, 10, clock)
    first = await files.snapshot()
    (repo / ".git" / "index").write_bytes(b"this is not an index")
    clock.now += 11
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await files.snapshot() is first
    assert any("keeping the previous listing" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_missing_git_binary_gives_none_with_a_warning(
    repo: Path,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await RepoFiles(repo, None, 10, clock).snapshot() is None
    assert any("git is not installed" in record.getMessage() for record in caplog.records)


@pytest.mark.anyio
async def test_scope_limits_on_a_scoped_checkout_skip_the_ratio(
    repo: Path, clock: FakeClock, git: Callable[..., None]
) -> None:
    commit(git, repo, {f"packages/web/gen/f{i}.ts": "" for i in range(40)})
    files = RepoFiles(repo, "packages/web", 10, clock)
    tracked = await files.snapshot()
    assert tracked is not None
    assert tracked.total == 42
    assert check_scope(tracked, ["packages/web/gen/**"], 100, 0.2, files.scoped) == []
    [violation] = check_scope(tracked, ["packages/web/gen/**"], 30, 0.2, files.scoped)
    assert (violation.kind, violation.matched, violation.limit) == ("files", 31, 30)


# --- the index, against hand-picked cases ----------------------------------------------------

FILES = [
    "Makefile",
    "README.md",
    "docs/README.md",
    "package.json",
    "packages/web/package.json",
    "packages/web/src/index.ts",
    "src/App.ts",
    "src/auth/login.ts",
    "src/auth/x/y.ts",
    "src/auth_v2/x.ts",
    "src/a.ts/b",
    "x/x/x",
]

TS_FILES = [
    "packages/web/src/index.ts",
    "src/App.ts",
    "src/a.ts/b",
    "src/auth/login.ts",
    "src/auth/x/y.ts",
    "src/auth_v2/x.ts",
]


@pytest.fixture
def tracked() -> TrackedFiles:
    return TrackedFiles(FILES)


def brute(pattern: str, files: list[str] = FILES) -> list[str]:
    return sorted(path for path in files if matches(pattern, path))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("src/App.ts", ["src/App.ts"]),
        ("src/auth", ["src/auth/login.ts", "src/auth/x/y.ts"]),
        ("src/auth/**", ["src/auth/login.ts", "src/auth/x/y.ts"]),
        ("src/auth/*", ["src/auth/login.ts"]),
        ("src/auth/*.ts", ["src/auth/login.ts"]),
        ("src/a.ts/**", ["src/a.ts/b"]),
        ("src/App.ts/**", []),
        ("package.json", ["package.json", "packages/web/package.json"]),
        ("/package.json", ["package.json"]),
        ("**/package.json", ["package.json", "packages/web/package.json"]),
        ("README.md", ["README.md", "docs/README.md"]),
        ("x", ["src/auth/x/y.ts", "x/x/x"]),
        ("*.ts", TS_FILES),
        ("**/*.ts", TS_FILES),
        ("*/a.ts", ["src/a.ts/b"]),
        ("*/App.ts", ["src/App.ts"]),
        ("**", sorted(FILES)),
        ("src/**/y.ts", ["src/auth/x/y.ts"]),
        ("a[!x]ts", ["src/a.ts/b"]),
        ("nothing/here", []),
        ("nothing", []),
    ],
)
def test_matching_agrees_with_the_engine(
    tracked: TrackedFiles, pattern: str, expected: list[str]
) -> None:
    assert tracked.matching(pattern, limit=100) == expected == brute(pattern)
    assert tracked.count_matches(pattern, 100) == len(expected)
    assert tracked.has_match(pattern) == bool(expected)


def test_negated_class_can_match_across_segments() -> None:
    # pathspec lets `[!x]` match a `/`, so `a[!x]b` matches the path `a/b`; the name table
    # cannot see that, so such a pattern must fall back to testing paths.
    files = TrackedFiles(["a/b", "c"])
    assert files.matching("a[!x]b") == ["a/b"] == brute("a[!x]b", ["a/b", "c"])


def test_count_stops_one_past_the_limit(tracked: TrackedFiles) -> None:
    assert tracked.count_matches("**", 3) == 4
    assert tracked.count_matches("*.ts", 2) == 3
    assert tracked.count_matches("src/auth/*.ts", 0) == 1
    assert tracked.count_matches("src/auth", 2) == 2


def test_matching_lists_in_sorted_order_up_to_the_limit(tracked: TrackedFiles) -> None:
    assert tracked.matching("**", limit=3) == sorted(FILES)[:3]
    assert tracked.matching("*.md", limit=1) == ["README.md"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("src/auth/login.ts", "src/auth/**", ["src/auth/login.ts"]),
        ("src/auth", "*.ts", ["src/auth/login.ts", "src/auth/x/y.ts"]),
        ("*.ts", "src/auth", ["src/auth/login.ts", "src/auth/x/y.ts"]),
        ("*.ts", "**/x/*", ["src/auth/x/y.ts"]),
        ("src/auth/**", "src/auth_v2/x.ts", []),
        ("package.json", "packages/**", ["packages/web/package.json"]),
        ("src/*/x.ts", "src/auth_v2", ["src/auth_v2/x.ts"]),
        ("**", "x", ["src/auth/x/y.ts", "x/x/x"]),
    ],
)
def test_matching_both(tracked: TrackedFiles, a: str, b: str, expected: list[str]) -> None:
    assert tracked.matching_both(a, b) == expected
    assert tracked.matching_both(b, a) == expected


def test_matching_both_is_capped() -> None:
    files = TrackedFiles(f"gen/f{i:03}.ts" for i in range(120))
    both = files.matching_both("gen/**", "*.ts")
    assert both == [f"gen/f{i:03}.ts" for i in range(50)]
    assert files.matching_both("gen", "gen/f1*", limit=5) == [f"gen/f1{i:02}.ts" for i in range(5)]


@pytest.mark.parametrize(
    ("pattern", "suggestion"),
    [
        ("SRC/App.ts", "src/App.ts"),
        ("src/app.ts", "src/App.ts"),
        ("SRC/AUTH", "src/auth"),
        ("makefile", "Makefile"),
        ("**/readme.md", "**/README.md"),
        ("/PACKAGE.json", "/package.json"),
        ("Src/Auth/*.ts", "src/auth/*.ts"),
        ("Src/Auth/*.py", None),
        ("src/App.ts", None),
        ("src/nothing.ts", None),
        ("*.TS", None),
    ],
)
def test_did_you_mean(tracked: TrackedFiles, pattern: str, suggestion: str | None) -> None:
    assert tracked.did_you_mean(pattern) == suggestion


def test_did_you_mean_stays_quiet_when_the_spelling_given_exists() -> None:
    files = TrackedFiles(["README.md", "readme.md", "SRC/a.py", "src/b.ts", "docs/Notes.md"])
    assert files.did_you_mean("readme.md") is None
    assert files.did_you_mean("README.md") is None
    assert files.did_you_mean("SRC/*.ts") is None
    assert files.did_you_mean("Readme.md") == "README.md"
    assert files.did_you_mean("docs/notes.md") == "docs/Notes.md"


def test_paths_the_engine_cannot_match_are_left_out() -> None:
    files = TrackedFiles(["ok.ts", "tab\there.ts", "", "a//b"])
    assert files.total == 1
    assert files.matching("**") == ["ok.ts"]


# --- scope limits ----------------------------------------------------------------------------


def spread(count: int, directory: str = "d") -> list[str]:
    return [f"{directory}/f{i:03}.ts" for i in range(count)]


def test_a_pattern_over_the_file_limit_is_refused() -> None:
    files = TrackedFiles(spread(30))
    [violation] = check_scope(files, ["d/**", "d/f001.ts"], 10, 1.0, scoped=False)
    assert violation == ScopeViolation("d/**", 11, 10, "files", violation.message)
    assert "'d/**'" in violation.message
    assert "11" in violation.message
    assert "COORD_MAX_CLAIM_FILES" in violation.message
    assert check_scope(files, ["d/f00*"], 10, 1.0, scoped=False) == []


def test_a_pattern_over_the_ratio_is_refused() -> None:
    files = TrackedFiles(spread(21, "big") + spread(79, "rest"))
    [violation] = check_scope(files, ["big"], 100, 0.2, scoped=False)
    assert (violation.kind, violation.matched, violation.limit) == ("ratio", 21, 0.2)
    assert "20%" in violation.message
    assert check_scope(files, ["big/f00*", "big/f01*"], 100, 0.2, scoped=False) == []


def test_ratio_allows_exactly_the_fraction_despite_float_rounding() -> None:
    files = TrackedFiles(spread(29, "big") + spread(71, "rest"))
    assert check_scope(files, ["big"], 100, 0.29, scoped=False) == []
    assert check_scope(files, ["big"], 100, 0.28, scoped=False) != []


def test_ratio_is_skipped_below_twenty_files_and_when_scoped() -> None:
    small = TrackedFiles(spread(19))
    assert check_scope(small, ["d"], 100, 0.2, scoped=False) == []
    twenty = TrackedFiles(spread(20))
    assert [v.kind for v in check_scope(twenty, ["d"], 100, 0.2, scoped=False)] == ["ratio"]
    assert check_scope(twenty, ["d"], 100, 0.2, scoped=True) == []


def test_a_batch_over_the_ratio_is_refused_as_a_whole() -> None:
    files = TrackedFiles(spread(15, "a") + spread(15, "b") + spread(70, "c"))
    [violation] = check_scope(files, ["a", "b"], 100, 0.2, scoped=False)
    assert (violation.kind, violation.matched, violation.limit) == ("batch_ratio", 21, 0.2)
    assert violation.pattern == "a, b"
    # Overlapping patterns count their common files once, and repeats are one pattern.
    assert check_scope(files, ["a", "a/**", "*.ts"][:2], 100, 0.2, scoped=False) == []
    assert check_scope(files, ["a", "a"], 100, 0.2, scoped=False) == []
    assert check_scope(files, ["a", "b"], 100, 0.2, scoped=True) == []


def test_a_single_pattern_over_the_ratio_is_not_reported_again_for_the_batch() -> None:
    files = TrackedFiles(spread(25, "a") + spread(75, "c"))
    kinds = [v.kind for v in check_scope(files, ["a", "c/f001.ts"], 100, 0.2, scoped=False)]
    assert kinds == ["ratio"]


def test_a_long_batch_lists_its_first_patterns() -> None:
    files = TrackedFiles(spread(100))
    patterns = [f"d/f{i:03}.ts" for i in range(30)]
    [violation] = check_scope(files, patterns, 100, 0.2, scoped=False)
    assert violation.kind == "batch_ratio"
    assert violation.pattern.endswith(", and 20 more")
    assert "30 patterns" in violation.message


# --- the index, against brute force ----------------------------------------------------------

NAMES = ["a", "b", "ab", "A", "a.ts", "b.py", "x"]
PIECES = ["a", "b", "A", "x", "*", "**", "?", "a*", "*b", "*.ts", "[ab]", "[!a]", "a.ts", "?.py"]

paths_strategy = st.lists(
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map("/".join),
    min_size=0,
    max_size=40,
)
pattern_strategy = st.tuples(
    st.booleans(), st.lists(st.sampled_from(PIECES), min_size=1, max_size=4)
).map(lambda rooted_pieces: ("/" if rooted_pieces[0] else "") + "/".join(rooted_pieces[1]))


def canonical(raw: str) -> str:
    try:
        return normalize_pattern(raw)
    except PatternError:
        assume(False)
        raise


def files_of(paths: list[str]) -> list[str]:
    """Drop paths that are both a file and a directory: git cannot track such a pair."""
    unique = set(paths)
    return sorted(p for p in unique if not any(q.startswith(p + "/") for q in unique))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=paths_strategy, raw_a=pattern_strategy, raw_b=pattern_strategy, limit=st.integers(0, 8)
)
def test_index_agrees_with_brute_force(
    paths: list[str], raw_a: str, raw_b: str, limit: int
) -> None:
    files = files_of(paths)
    a, b = canonical(raw_a), canonical(raw_b)
    tracked = TrackedFiles(files)
    expected_a, expected_b = brute(a, files), brute(b, files)
    both = [path for path in expected_a if path in expected_b]
    assert tracked.matching(a, limit=100) == expected_a
    assert tracked.count_matches(a, limit) == min(len(expected_a), limit + 1)
    assert tracked.has_match(a) == bool(expected_a)
    assert tracked.matching_both(a, b, limit=100) == both
    assert tracked.matching_both(b, a, limit=limit) == both[:limit]
    union = len(set(expected_a) | set(expected_b))
    assert tracked.count_union([a, b], limit) == min(union, limit + 1)
    suggestion = tracked.did_you_mean(a)
    if suggestion is not None:
        assert suggestion.lower() == a.lower()
        assert tracked.has_match(suggestion)
        assert not expected_a


def test_a_capitalised_spelling_sorted_first_wins_over_the_lower_case_one() -> None:
    files = TrackedFiles(["src/App.ts", "src/app.ts", "lib/Util.py", "Docs/a.md", "docs/b.md"])
    assert files.did_you_mean("SRC/APP.TS") == "src/App.ts", "as the sorted listing has it"
    assert files.did_you_mean("LIB/util.py") == "lib/Util.py"
    assert files.did_you_mean("DOCS/*.md") == "Docs/*.md"


@given(st.lists(st.text("ab/é", min_size=1, max_size=6), max_size=30))
def test_sorted_paths_hold_each_path_at_its_position(names: list[str]) -> None:
    ordered = sorted(set(names))
    paths = SortedPaths(ordered)
    assert list(paths) == ordered and len(paths) == len(ordered)
    for index, path in enumerate(ordered):
        assert paths.position(path) == index
    assert paths.position("zz-not-there") is None
    spans = [(2 * i, 2 * i + 1) for i in range(len(ordered))]
    assert list(SpanList(spans)) == spans and SpanList(spans)[1:3] == spans[1:3]


def test_a_name_in_many_directories_is_found_in_each() -> None:
    paths = [f"d{i:02}/index.ts" for i in range(40)] + ["top/other.ts"]
    files = TrackedFiles(paths)
    assert files.count_matches("index.ts", 1000) == 40
    assert files.matching("**/index.ts", limit=3) == [
        "d00/index.ts",
        "d01/index.ts",
        "d02/index.ts",
    ]
    assert files.has_match("other.ts") and not files.has_match("missing.ts")
