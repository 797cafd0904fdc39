"""Sixteen clients race for overlapping and disjoint scopes on a real `coord-api` process.

Afterwards the whole claim history, read from the database file, must show that no two
overlapping exclusive claims of different engineers were ever active at the same time (SPEC §4.2:
the check and the insert are atomic), and every request for a scope nobody else wants must have
been granted.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from coord_engine.overlap import overlaps

pytestmark = pytest.mark.slow

CLIENTS = 16
RACE_SECONDS = 4.0

CONTENDED = ("src/shared/**", "src/shared/a.ts", "src/*.ts", "src/a.ts", "src/shared/b/**")
"""Patterns every client wants; `src/*.ts` is disjoint from the `src/shared` ones."""


@dataclass
class ClientLog:
    """What one racing client saw."""

    engineer: str
    granted_ids: set[str] = field(default_factory=set)
    contended: dict[int, int] = field(default_factory=dict)
    """HTTP status -> how often, for requests on contended patterns."""
    disjoint_refusals: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One claim from the database: who held which pattern, and when."""

    id: str
    engineer: str
    repo: str
    pattern: str
    claim_type: str
    fence: int
    created_at: datetime
    released_at: datetime | None


def race(base_url: str, headers: dict[str, str], number: int, stop_at: float) -> ClientLog:
    """Claim, hold (checking conflicts meanwhile) and release until `stop_at`."""
    log = ClientLog(engineer=f"racer{number}/bot/main")
    chooser = random.Random(number)
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        round_number = 0
        while time.monotonic() < stop_at:
            round_number += 1
            if chooser.random() < 0.5:
                body = _contended_body(chooser, log.engineer)
            else:
                own = f"src/client{number}/f{round_number % 7}.py"
                body = {"engineer": log.engineer, "claims": [{"pattern": own}]}
            response = client.post("/claims", json=body)
            _record(log, body, response)
            if response.status_code == 200:
                _hold_then_release(client, chooser, log, response.json()["claim_ids"])
    return log


def _contended_body(chooser: random.Random, engineer: str) -> dict[str, Any]:
    patterns = chooser.sample(CONTENDED, chooser.choice((1, 1, 2)))
    items = [{"pattern": p, "type": chooser.choice(("file", "module"))} for p in patterns]
    # Some requests queue for a moment, so grants also come from the queue behind a release.
    wait = 1 if chooser.random() < 0.2 else 0
    return {"engineer": engineer, "claims": items, "wait_seconds": wait}


def _record(log: ClientLog, body: dict[str, Any], response: httpx.Response) -> None:
    patterns = [item["pattern"] for item in body["claims"]]
    if response.status_code == 200:
        log.granted_ids.update(response.json()["claim_ids"])
    if patterns[0] in CONTENDED:
        log.contended[response.status_code] = log.contended.get(response.status_code, 0) + 1
        if response.status_code not in {200, 409}:
            log.unexpected.append(f"{patterns}: {response.status_code} {response.text[:300]}")
    elif response.status_code != 200:
        log.disjoint_refusals.append(f"{patterns}: {response.status_code} {response.text[:300]}")


def _hold_then_release(
    client: httpx.Client, chooser: random.Random, log: ClientLog, claim_ids: list[str]
) -> None:
    # Holding means doing a little other work first: a few conflict checks, like an agent would.
    for _ in range(chooser.randrange(3)):
        params = {"pattern": chooser.choice(CONTENDED), "engineer": log.engineer}
        checked = client.get("/conflicts", params=params)
        if checked.status_code != 200:
            log.unexpected.append(f"GET /conflicts: {checked.status_code} {checked.text[:300]}")
    released = client.post("/claims/release", json={"claim_ids": claim_ids})
    if released.status_code != 200 or released.json()["released"] != len(claim_ids):
        log.unexpected.append(f"release {claim_ids}: {released.status_code} {released.text}")


def read_history(database: Path) -> list[HistoryRow]:
    """Every claim ever stored, read from the SQLite file without writing to it."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT id, engineer, repo, pattern, claim_type, fence, created_at, released_at "
            "FROM claims"
        ).fetchall()
    finally:
        connection.close()
    return [HistoryRow(*row[:6], datetime.fromisoformat(row[6]), _moment(row[7])) for row in rows]


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def simultaneous_overlaps(history: list[HistoryRow]) -> Iterator[tuple[HistoryRow, HistoryRow]]:
    """Pairs of exclusive claims of different engineers, active together, whose patterns overlap.

    Active means the half-open interval [created_at, released_at); a sweep in grant order keeps
    only the claims still active at each grant, so the check is not quadratic in the history.
    """
    active: list[HistoryRow] = []
    for row in sorted(history, key=lambda r: r.created_at):
        active = [a for a in active if a.released_at is None or a.released_at > row.created_at]
        for other in active:
            if (
                other.engineer != row.engineer
                and other.repo == row.repo
                and overlaps(other.pattern, row.pattern)
            ):
                yield other, row
        active.append(row)


@pytest.fixture(scope="module")
def server(module_coord_api_factory: Any) -> Any:
    """The server raced against, shared by this module's tests (they read one race)."""
    return module_coord_api_factory.start()


@pytest.fixture(scope="module")
def race_logs(server: Any) -> list[ClientLog]:
    """Run the race once against `server`; the logs of every client."""
    stop_at = time.monotonic() + RACE_SECONDS
    logs: list[ClientLog | None] = [None] * CLIENTS
    start = threading.Barrier(CLIENTS)

    def run(number: int) -> None:
        start.wait()
        logs[number] = race(server.base_url, server.auth_headers(), number, stop_at)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_SECONDS + 60)
    finished = [log for log in logs if log is not None]
    assert len(finished) == CLIENTS, "a racing client crashed or hung; see its traceback above"
    return finished


def test_no_two_overlapping_exclusive_claims_were_ever_active_together(
    server: Any, race_logs: list[ClientLog]
) -> None:
    history = read_history(server.database_path)

    assert [f"{log.engineer}: {issue}" for log in race_logs for issue in log.unexpected] == []
    collisions = [
        f"{a.engineer} {a.pattern!r} [{a.created_at}, {a.released_at}) and "
        f"{b.engineer} {b.pattern!r} from {b.created_at}"
        for a, b in simultaneous_overlaps(history)
    ]
    assert collisions == []
    # The race must really have raced: contended scopes were both granted and refused.
    assert sum(log.contended.get(200, 0) for log in race_logs) > CLIENTS
    assert sum(log.contended.get(409, 0) for log in race_logs) > CLIENTS


def test_every_disjoint_claim_was_granted(race_logs: list[ClientLog]) -> None:
    refusals = [f"{log.engineer}: {issue}" for log in race_logs for issue in log.disjoint_refusals]

    assert refusals == []
    assert all(log.granted_ids for log in race_logs)


def test_history_matches_what_clients_were_told(server: Any, race_logs: list[ClientLog]) -> None:
    history = read_history(server.database_path)
    granted = {claim_id for log in race_logs for claim_id in log.granted_ids}

    assert {row.id for row in history} == granted
    assert all(row.released_at is not None for row in history), "every claim was released"
    # Fences are unique and follow the order of the grants.
    by_fence = sorted(history, key=lambda row: row.fence)
    assert len({row.fence for row in history}) == len(history)
    assert [row.created_at for row in by_fence] == sorted(row.created_at for row in history)
    with server.client() as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/claims", params={"all_repos": "true"}).json()["count"] == 0


def test_the_history_check_finds_planted_collisions() -> None:
    start = datetime(2026, 11, 24, 12, 0)

    def row(claim_id: str, engineer: str, pattern: str, at: int, until: int | None) -> HistoryRow:
        end = None if until is None else start + timedelta(seconds=until)
        return HistoryRow(
            claim_id, engineer, "", pattern, "file", at, start + timedelta(seconds=at), end
        )

    history = [
        row("a", "e1", "src/*.ts", 0, 2),
        row("b", "e2", "src/a*", 1, None),  # overlaps a while a is active
        row("c", "e1", "src/a.ts", 2, None),  # a ended at 2 (half-open); b is someone else's
        row("d", "e2", "src/a.ts", 3, None),  # b is e2's own; c is not
        row("e", "e3", "docs/**", 4, None),  # disjoint from everything
    ]

    found = [(a.id, b.id) for a, b in simultaneous_overlaps(history)]

    assert found == [("a", "b"), ("b", "c"), ("c", "d")]
