"""Micro-benchmarks of the engine's hot path: overlap, index lookup and decide().

Run with `uv run python bench/bench_engine.py`. Prints one table of median timings; it asserts
nothing about speed, so a slow machine never fails a build. Targets (see the engine README): a
candidate lookup in an index of 100,000 claims under 50 µs, and decide() for a 5-item batch
against 10,000 active claims under 1 ms, not growing with the number of claims that cannot overlap.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from coord_engine.claims import ActiveClaim, ClaimItem, ClaimRequest, Policy
from coord_engine.decide import decide
from coord_engine.index import ClaimIndex
from coord_engine.overlap import overlaps
from coord_protocol.vocab import ClaimType, Severity

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
WARMUP = 500


def median_us(action: Callable[[int], object], repetitions: int) -> float:
    """Median wall time of `action(i)` in microseconds, after a warm-up."""
    for i in range(WARMUP):
        action(i)
    samples = []
    for i in range(repetitions):
        start = time.perf_counter_ns()
        action(i)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def claim_pattern(n: int) -> str:
    """Patterns spread over many directories, with some directory globs and file globs."""
    package, module, leaf = n // 100, (n // 10) % 10, n % 10
    if leaf == 9 and module == 0:
        return f"pkg{package}/mod{module}/**"
    if leaf == 8:
        return f"pkg{package}/mod{module}/*.test.ts"
    return f"pkg{package}/mod{module}/file{leaf}.ts"


def active_claims(count: int) -> dict[str, ActiveClaim]:
    """`count` claims by other engineers, plus a few without a literal prefix."""
    claims = {f"c{n}": _claim(f"c{n}", claim_pattern(n), f"eng{n % 50}") for n in range(count)}
    # Root-wildcard patterns: kept in the index's side set, so every lookup returns them.
    for n, pattern in enumerate(("*/generated/**", "*/vendor/*.lock", "*/Makefile")):
        claims[f"loose{n}"] = _claim(f"loose{n}", pattern, "ops")
    return claims


def _claim(claim_id: str, pattern: str, engineer: str) -> ActiveClaim:
    return ActiveClaim(
        id=claim_id,
        engineer=engineer,
        session_id=None,
        repo="acme/web",
        claim_type=ClaimType.FILE,
        pattern=pattern,
        symbols=None,
        narrowable=True,
        shared=False,
        severity=Severity.SOFT,
        description=None,
        expires_at=NOW + timedelta(hours=1),
    )


def build_index(claims: dict[str, ActiveClaim]) -> ClaimIndex[str]:
    """The index the server keeps for one repo bucket."""
    index: ClaimIndex[str] = ClaimIndex()
    for claim_id, claim in claims.items():
        index.add(claim_id, claim.pattern)
    return index


def bench_overlap() -> list[tuple[str, float]]:
    """Overlap of a repeated pair, and of pairs never seen before (no memoised answer)."""
    fresh = [(f"src/m{i}/*.ts", f"src/m{i}/a{i}.ts") for i in range(6_000)]
    return [
        (
            "overlap, same pair: src/auth/** vs src/auth/login.ts",
            median_us(lambda _: overlaps("src/auth/**", "src/auth/login.ts"), 20_000),
        ),
        (
            "overlap, same pair: lib/*_test.py vs lib/test_*.py",
            median_us(lambda _: overlaps("lib/*_test.py", "lib/test_*.py"), 20_000),
        ),
        (
            "overlap, fresh pairs: src/mN/*.ts vs src/mN/aN.ts",
            median_us(lambda i: overlaps(*fresh[i % len(fresh)]), 5_000),
        ),
    ]


def bench_lookup() -> list[tuple[str, float]]:
    """Candidate lookup for a literal path in an index of 100,000 claims."""
    index = build_index(active_claims(100_000))
    queries = [f"pkg{n % 1000}/mod{n % 7}/new{n}.ts" for n in range(20_000)]
    return [
        (
            "lookup, 100,000 claims, same literal path",
            median_us(lambda _: index.candidates("pkg500/mod5/file5.ts"), 20_000),
        ),
        (
            "lookup, 100,000 claims, distinct literal paths",
            median_us(lambda i: index.candidates(queries[i % len(queries)]), 20_000),
        ),
    ]


def bench_decide(count: int, distinct: int, globs: bool = False) -> tuple[str, float]:
    """Index lookup plus decide() for a 5-item batch, as the server runs it.

    With many `distinct` requests every item is a pattern the engine has not seen, so the row
    includes building its matcher; with few, the engine's memoised overlaps answer (warm).
    Items are file paths, or with `globs` file globs (`pkg1/mod2/*.new7.ts`), whose automaton
    must be compiled before they can be checked against the claims in their directory.
    """
    claims = active_claims(count)
    index = build_index(claims)
    packages = max(count // 100, 1)
    requests = [
        ClaimRequest(
            engineer="alice",
            session_id=None,
            repo="acme/web",
            items=tuple(
                ClaimItem(ClaimType.FILE, _item_pattern(n, k, packages, globs)) for k in range(5)
            ),
        )
        for n in range(distinct)
    ]
    policy = Policy()

    def run(i: int) -> object:
        request = requests[i % len(requests)]
        keys = index.union_candidates(item.pattern for item in request.items)
        return decide(request, [claims[key] for key in keys], policy, NOW)

    kind = "new patterns" if distinct > 1_000 else "warm"
    repetitions = 2_000 if distinct > 1_000 else 5_000
    items = "glob items" if globs else "items"
    return (f"decide, 5 {items}, {count:,} active claims, {kind}", median_us(run, repetitions))


def _item_pattern(n: int, k: int, packages: int, globs: bool) -> str:
    directory = f"pkg{(n + k) % packages}/mod{k + 1}"
    return f"{directory}/*.new{n}.ts" if globs else f"{directory}/new{n}.ts"


def main() -> None:
    """Run every benchmark and print the table."""
    rows = [
        *bench_overlap(),
        *bench_lookup(),
        bench_decide(10_000, distinct=20),
        bench_decide(100, distinct=20),
        bench_decide(10_000, distinct=3_000),
        bench_decide(100, distinct=3_000),
        bench_decide(10_000, distinct=3_000, globs=True),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':<{width}}  median µs")
    print(f"{'-' * width}  ---------")
    for name, micros in rows:
        print(f"{name:<{width}}  {micros:9.2f}")


if __name__ == "__main__":
    main()
