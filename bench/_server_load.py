"""The load generator: concurrent keep-alive clients in a process of their own.

`run_share` is what a worker process runs: it drives `clients` connections for a warm-up and a
measured window, then returns what happened in the window. Each client sends its next request
as soon as the last one is answered (a closed loop), so the rate is what the server sustains
with that many callers. A request counts when its answer arrives inside the window; an operation
(a claim+release cycle is one operation of two requests) counts when its last answer does.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import httpx
import uvloop
from _server_http import Connection
from _server_repo import (
    HOT_FILES,
    SYMBOL_FILE,
    SYMBOL_PARTNERS,
    hot_path,
    symbol_name,
    tracked_path,
)
from _server_stats import Sample

Kind = Literal[
    "claim_release", "symbol_release", "conflicts", "contended", "ceiling", "canned", "canned_httpx"
]

REPO = "acme/web"
"""Repo bucket of every claim the benchmark makes."""


@dataclass(frozen=True, slots=True)
class Workload:
    """What the clients do, against which server, and for how long."""

    kind: Kind
    port: int
    token: str
    warmup_sec: float
    window_sec: float
    clients: int
    """Concurrent clients in total, over every worker process."""
    tracked_files: int = 1000
    """Size of the checkout, so paths are real tracked files."""
    ports: tuple[int, ...] = ()
    """Replicas to spread the clients over (client n talks to `ports[n % len]`); empty: `port`."""
    repos: tuple[str, ...] = (REPO,)
    """Repo buckets to spread the clients over, the same way."""

    def port_of(self, number: int) -> int:
        """The port client `number` talks to."""
        return self.ports[number % len(self.ports)] if self.ports else self.port

    def repo_of(self, number: int) -> str:
        """The repo client `number` claims in."""
        return self.repos[number % len(self.repos)]


class _Window:
    """Records answers that arrive between `start_ns` and `end_ns`."""

    def __init__(self, start_ns: int, end_ns: int, sample: Sample) -> None:
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.sample = sample

    def inside(self, moment_ns: int) -> bool:
        return self.start_ns <= moment_ns <= self.end_ns

    def answer(self, label: str, started_ns: int, status: int, expected: int) -> None:
        finished_ns = time.perf_counter_ns()
        self.sample.answered += 1
        if not self.inside(finished_ns):
            return
        self.sample.requests += 1
        self.sample.latencies_ns.append(finished_ns - started_ns)
        if status != expected:
            self.sample.unexpected[f"{label} -> {status}"] += 1

    def operation_done(self) -> None:
        if self.inside(time.perf_counter_ns()):
            self.sample.operations += 1


Send = Callable[[str, str, bytes | None], Awaitable[tuple[int, bytes]]]


class _Caller:
    """One client: its connection, its identity and the window it reports into."""

    def __init__(self, number: int, send: Send, window: _Window, workload: Workload) -> None:
        self.number = number
        self.engineer = f"bench/client{number}"
        self.repo = workload.repo_of(number)
        self.send = send
        self.window = window
        self.workload = workload
        self.random = random.Random(number)  # noqa: S311 - spreading load, not security

    async def call(
        self, method: str, target: str, label: str, expected: int, body: object = None
    ) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        started_ns = time.perf_counter_ns()
        status, answer = await self.send(method, target, payload)
        self.window.answer(label, started_ns, status, expected)
        return status, answer


def _claim_body(
    engineer: str, pattern: str, repo: str = REPO, symbols: list[str] | None = None
) -> dict[str, object]:
    item: dict[str, object] = {"type": "file", "pattern": pattern}
    if symbols is not None:
        item["symbols"] = symbols
    return {"engineer": engineer, "repo": repo, "claims": [item]}


async def _claim_release(caller: _Caller, round_number: int) -> None:
    # With 16 clients, client k only touches files k, k+16, k+32, ...: no two hold one file.
    clients = caller.workload.clients
    rounds = max(1, caller.workload.tracked_files // clients)
    path = tracked_path(caller.number + clients * (round_number % rounds))
    await _cycle(caller, _claim_body(caller.engineer, path, caller.repo))


async def _symbol_release(caller: _Caller, _round_number: int) -> None:
    # Every client claims its own function of the one hot file, beside the partners' symbols
    # and the other clients' (auto-coexist with each of them), then releases it.
    symbol = symbol_name(SYMBOL_PARTNERS + caller.number)
    await _cycle(caller, _claim_body(caller.engineer, SYMBOL_FILE, caller.repo, [symbol]))


async def _cycle(caller: _Caller, body: dict[str, object]) -> None:
    status, answer = await caller.call("POST", "/claims", "POST /claims", 200, body)
    if status != 200:
        return
    claim_id = json.loads(answer)["claim_ids"][0]
    target = f"/claims/{claim_id}?engineer={quote(caller.engineer, safe='')}"
    await caller.call("DELETE", target, "DELETE /claims/{id}", 200)


async def _conflicts(caller: _Caller, _round_number: int) -> None:
    path = tracked_path(caller.random.randrange(caller.workload.tracked_files))
    target = f"/conflicts?pattern={quote(path, safe='')}&engineer=bench%2Freader&repo={caller.repo}"
    await caller.call("GET", target, "GET /conflicts", 200)


async def _contended(caller: _Caller, round_number: int) -> None:
    path = hot_path((caller.number + round_number) % HOT_FILES)
    await caller.call("POST", "/claims", "POST /claims", 409, _claim_body(caller.engineer, path))


async def _ceiling(caller: _Caller, round_number: int) -> None:
    body = {"client": caller.number, "round": round_number}
    await caller.call("POST", "/hit", "POST /hit", 200, body)


async def _canned(caller: _Caller, _round_number: int) -> None:
    await caller.call("GET", "/canned", "GET /canned", 200)


_OPERATIONS: dict[Kind, Callable[[_Caller, int], Awaitable[None]]] = {
    "claim_release": _claim_release,
    "symbol_release": _symbol_release,
    "conflicts": _conflicts,
    "contended": _contended,
    "ceiling": _ceiling,
    "canned": _canned,
    "canned_httpx": _canned,
}


def run_share(workload: Workload, client_numbers: Sequence[int]) -> Sample:
    """Drive the clients numbered `client_numbers` through `workload`; runs in a worker process."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_run(workload, client_numbers))


async def _run(workload: Workload, client_numbers: Sequence[int]) -> Sample:
    sample = Sample(workload.window_sec)
    start_ns = time.perf_counter_ns() + _ns(workload.warmup_sec)
    window = _Window(start_ns, start_ns + _ns(workload.window_sec), sample)
    if workload.kind == "canned_httpx":
        await _run_httpx(workload, client_numbers, window)
    else:
        await asyncio.gather(*(_drive_raw(workload, n, window) for n in client_numbers))
    return sample


async def _drive_raw(workload: Workload, number: int, window: _Window) -> None:
    connection = await Connection.open(workload.port_of(number), workload.token)
    try:
        await _loop(_Caller(number, connection.request, window, workload))
    finally:
        connection.close()


async def _run_httpx(workload: Workload, client_numbers: Sequence[int], window: _Window) -> None:
    limits = httpx.Limits(max_connections=len(client_numbers))
    base_url = f"http://127.0.0.1:{workload.port}"
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as client:

        async def send(method: str, target: str, body: bytes | None) -> tuple[int, bytes]:
            response = await client.request(method, target, content=body)
            return response.status_code, response.content

        callers = [_Caller(n, send, window, workload) for n in client_numbers]
        await asyncio.gather(*(_loop(caller) for caller in callers))


async def _loop(caller: _Caller) -> None:
    operation = _OPERATIONS[caller.workload.kind]
    round_number = 0
    while time.perf_counter_ns() < caller.window.end_ns:
        await operation(caller, round_number)
        caller.window.operation_done()
        round_number += 1


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)
