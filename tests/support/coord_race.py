"""Racing clients and the claim history they leave: shared by the one-process and replica races.

A race runs claim/hold/release loops of many clients against one or more `coord-api` base URLs;
the history (every claim ever stored, read from the database) must show that no two overlapping
exclusive claims of different engineers were ever active at the same time (SPEC §4.2: the check
and the insert are atomic) and that fences are unique and follow the order of the grants.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from coord_engine.overlap import overlaps
from coord_engine.symbol_paths import overlapping_symbols

CLIENTS = 16
RACE_SECONDS = 5.0

CONTENDED = (
    "src/shared/**", "src/shared/a.ts", "src/*.ts", "src/a.ts", "src/shared/b/**", "src/sym/**",
    "src/sym/one.ts",
)  # fmt: skip
"""Patterns every client wants; `src/*.ts` is disjoint from the `src/shared` and `src/sym` ones."""

SYMBOL_FILE = "src/sym/one.ts"
SYMBOLS = ("Router", "Router::auth", "Router::list", "Cache")
"""Symbols claimed inside `SYMBOL_FILE`: `Router` holds both of its methods."""


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
    symbols: tuple[str, ...] | None = None
    """The symbols held, for a symbol-scoped claim; None holds the whole pattern."""
    shared: bool = False
    """A cooperative claim, which never conflicts (SPEC §4.4)."""

    def conflicts_with(self, other: HistoryRow) -> bool:
        """True when the two may not be active together (different engineers, same scope)."""
        if self.shared or other.shared or self.engineer == other.engineer:
            return False
        if self.repo != other.repo or not overlaps(self.pattern, other.pattern):
            return False
        if self.symbols is None or other.symbols is None:
            return True
        return bool(overlapping_symbols(self.symbols, other.symbols))


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
    items = [_item(chooser, pattern) for pattern in patterns]
    # Some requests queue for a moment, so grants also come from the queue behind a release.
    wait = 1 if chooser.random() < 0.2 else 0
    return {"engineer": engineer, "claims": items, "wait_seconds": wait}


def _item(chooser: random.Random, pattern: str) -> dict[str, Any]:
    """A claim item for `pattern`: symbols inside the symbol file, sometimes a shared claim.

    Whole-file claims over the symbol file are modules, which are never auto-narrowed, so a
    grant beside a symbol claim there would be a double grant the history check can see.
    """
    if pattern == SYMBOL_FILE:
        return {"pattern": pattern, "symbols": chooser.sample(SYMBOLS, chooser.choice((1, 2)))}
    if pattern.startswith("src/sym/"):
        return {"pattern": pattern, "type": "module"}
    kind = chooser.choice(("file", "module", "file", "module", "shared_file"))
    return {"pattern": pattern, "type": kind}


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


HISTORY_QUERY = (
    "SELECT id, engineer, repo, pattern, claim_type, fence, created_at, released_at, symbols, "
    "shared FROM claims"
)


def read_history(database: Path) -> list[HistoryRow]:
    """Every claim ever stored, read from the SQLite file without writing to it."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute(HISTORY_QUERY).fetchall()
    finally:
        connection.close()
    return [
        HistoryRow(*row[:6], datetime.fromisoformat(row[6]), _moment(row[7]),
                   _symbols(json.loads(row[8]) if row[8] else None), bool(row[9]))
        for row in rows
    ]  # fmt: skip


def read_postgres_history(url: str) -> list[HistoryRow]:
    """Every claim ever stored in the PostgreSQL database at `url`."""
    import psycopg  # noqa: PLC0415 - only the replica race needs it

    with psycopg.connect(url) as connection:
        rows = connection.execute(HISTORY_QUERY).fetchall()
    return [
        HistoryRow(*row[:6], _naive(row[6]), _naive(row[7]), _symbols(row[8]), bool(row[9]))
        for row in rows
    ]


def _symbols(stored: list[str] | None) -> tuple[str, ...] | None:
    return None if stored is None else tuple(stored)


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=None)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def simultaneous_overlaps(history: list[HistoryRow]) -> Iterator[tuple[HistoryRow, HistoryRow]]:
    """Pairs of claims that conflict (`HistoryRow.conflicts_with`) and were active together.

    Active means the half-open interval [created_at, released_at); a sweep in grant order keeps
    only the claims still active at each grant, so the check is not quadratic in the history.
    """
    active: list[HistoryRow] = []
    for row in sorted(history, key=lambda r: r.created_at):
        active = [a for a in active if a.released_at is None or a.released_at > row.created_at]
        for other in active:
            if other.conflicts_with(row):
                yield other, row
        active.append(row)


def run_race(
    targets: Sequence[tuple[str, dict[str, str]]], clients: int = CLIENTS
) -> list[ClientLog]:
    """Race `clients` clients for `RACE_SECONDS`; client n talks to `targets[n % len(targets)]`
    (a base URL and its headers). The logs of every client."""
    stop_at = time.monotonic() + RACE_SECONDS
    logs: list[ClientLog | None] = [None] * clients
    start = threading.Barrier(clients)

    def run(number: int) -> None:
        base_url, headers = targets[number % len(targets)]
        start.wait()
        logs[number] = race(base_url, headers, number, stop_at)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_SECONDS + 60)
    finished = [log for log in logs if log is not None]
    assert len(finished) == clients, "a racing client crashed or hung; see its traceback above"
    return finished


def collisions(history: list[HistoryRow]) -> list[str]:
    """Every overlapping pair of `simultaneous_overlaps`, spelled for an assertion message."""
    return [
        f"{a.engineer} {a.pattern!r} [{a.created_at}, {a.released_at}) and "
        f"{b.engineer} {b.pattern!r} from {b.created_at}"
        for a, b in simultaneous_overlaps(history)
    ]


def fences_follow_grants(history: list[HistoryRow]) -> bool:
    """True when fences are unique per repo and, within a repo, increase with the grant time."""
    for repo in {row.repo for row in history}:
        rows = [row for row in history if row.repo == repo]
        by_fence = sorted(rows, key=lambda row: row.fence)
        if len({row.fence for row in rows}) != len(rows):
            return False
        if [row.created_at for row in by_fence] != sorted(row.created_at for row in rows):
            return False
    return True


def unexpected(logs: list[ClientLog]) -> list[str]:
    """Every answer a client did not expect, with its engineer."""
    return [f"{log.engineer}: {issue}" for log in logs for issue in log.unexpected]


class SteadyLoad(threading.Thread):
    """Claims one new file after another, spread over `targets`, until `stop()`.

    Keeps every grant it was answered (claim id and fence); requests a killed server never
    answered are not grants, so they are only counted.
    """

    def __init__(self, targets: Sequence[tuple[str, dict[str, str]]], repo: str = "") -> None:
        super().__init__(daemon=True)
        self.targets = targets
        self.repo = repo
        self.granted: dict[str, int] = {}
        self.unanswered = 0
        self._stopping = threading.Event()
        self._rounds = threading.Semaphore(0)

    def run(self) -> None:
        clients = [httpx.Client(base_url=url, headers=h, timeout=10) for url, h in self.targets]
        number = 0
        while not self._stopping.is_set():
            client = clients[number % len(clients)]
            body = {"engineer": "steady/load", "repo": self.repo,
                    "claims": [{"pattern": f"load/f{number}.ts"}]}  # fmt: skip
            try:
                answer = client.post("/claims", json=body)
            except httpx.TransportError:
                self.unanswered += 1
            else:
                if answer.status_code == 200:
                    (claim,) = answer.json()["claims"]
                    self.granted[claim["id"]] = claim["fence"]
            number += 1
            self._rounds.release()
        for client in clients:
            client.close()

    def wait_rounds(self, count: int) -> None:
        """Return once `count` more requests were sent (answered or not)."""
        for _ in range(count):
            assert self._rounds.acquire(timeout=60), "the steady load stopped sending"

    def stop(self) -> None:
        """Stop sending and wait for the last request to end."""
        self._stopping.set()
        self.join(60)
