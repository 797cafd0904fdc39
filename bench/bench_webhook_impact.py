"""Claim latency with and without a webhook receiver that hangs (SPEC §9).

Run with `uv run nox -s bench` or `uv run python bench/bench_webhook_impact.py [--quick]`. It
starts the real `coord-api` three times on free loopback ports with fresh databases: without a
webhook, with `COORD_WEBHOOK_URL` pointing at a local receiver that answers at once, and with
one that holds every request for 30 s before answering. Each time a separate process drives
claim+release cycles (each emits two events, so the webhook servers fill their outbox), and the
script prints requests/s, p50 and p99 of the three runs side by side. The hanging run should
match the prompt one: what webhooks cost is the outbox row written with each event, never the
receiver's speed.

Timings are reported, never asserted. Everything stays on loopback and every wait is bounded:
the receiver and both servers are stopped when the script ends, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from _server_load import Workload, run_share
from _server_process import free_port, stop_process
from _server_repo import make_repo
from _server_stats import Measurement, combine

HANG_SEC = 30.0
"""How long the receiver holds each delivery before answering."""

READY_TIMEOUT_SEC = 60.0
STOP_TIMEOUT_SEC = 10.0
TRACKED_FILES = 1000


@dataclass(frozen=True, slots=True)
class Plan:
    """How long to load and with how many clients."""

    warmup_sec: float
    window_sec: float
    clients: int


FULL = Plan(warmup_sec=2.0, window_sec=5.0, clients=16)
QUICK = Plan(warmup_sec=0.2, window_sec=0.5, clients=4)


class Receiver:
    """A loopback HTTP server in a thread of its own that answers each request after a pause."""

    def __init__(self, hang_sec: float) -> None:
        self.hang_sec = hang_sec
        self.port = free_port()
        self.received = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._serve, name="hanging-receiver", daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        if not self._ready.wait(READY_TIMEOUT_SEC):
            raise RuntimeError("the webhook receiver did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(STOP_TIMEOUT_SEC)

    @property
    def url(self) -> str:
        """Where the server under test sends its webhooks."""
        return f"http://127.0.0.1:{self.port}/hook"

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self._ready.set()
        async with server:
            await self._stop.wait()
        # Connections still held are dropped with the loop; the server under test sees resets.

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Keep-alive, as a real receiver would: one connection serves many deliveries.
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ValueError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(_content_length(head))
                self.received += 1
                assert self._stop is not None
                if self.hang_sec:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.hang_sec)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        writer.close()


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.partition(b":")[2])
    return 0


@contextlib.contextmanager
def coord_api(
    scratch: Path, token: str, repo_root: Path, extra: Mapping[str, str]
) -> Iterator[int]:
    """The real `coord-api` on a free port with a fresh database; yields the port."""
    port = free_port()
    clean = {key: value for key, value in os.environ.items() if not key.startswith("COORD_")}
    environment = {
        **clean,
        "COORD_AUTH_TOKEN": token,
        "COORD_HOST": "127.0.0.1",
        "COORD_PORT": str(port),
        "COORD_DATABASE_PATH": str(scratch / f"coord-{port}.db"),
        "COORD_REPO_ROOT": str(repo_root),
        "COORD_LOG_LEVEL": "warning",
        **extra,
    }
    log_path = scratch / f"coord-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "coord_server"], env=environment, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_ready(process, port, log_path)
            yield port
        finally:
            stop_process(process)


def _wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SEC
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"coord-api exited early:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"coord-api not ready in {READY_TIMEOUT_SEC:g} s")


def measure(pool: ProcessPoolExecutor, port: int, token: str, plan: Plan) -> Measurement:
    """Claim+release cycles from the load process, measured over the plan's window."""
    workload = Workload(
        kind="claim_release",
        port=port,
        token=token,
        warmup_sec=plan.warmup_sec,
        window_sec=plan.window_sec,
        clients=plan.clients,
        tracked_files=TRACKED_FILES,
    )
    return combine([pool.submit(run_share, workload, list(range(plan.clients))).result()])


def outbox_line(label: str, port: int, token: str, received: int) -> str:
    """What the webhook outbox holds after a run, and what its receiver got."""
    answer = httpx.get(
        f"http://127.0.0.1:{port}/admin/outbox/stats",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10.0,
    ).json()
    totals = answer["totals"]
    return (
        f"{label}: the outbox holds {answer['backlog']} waiting, {totals['delivered']} "
        f"delivered, {totals['failed']} failed (retry scheduled); the receiver got {received}."
    )


def table(rows: Sequence[tuple[str, Measurement]]) -> str:
    """The results as a markdown table."""
    lines = [
        "| webhook | requests/s | p50 ms | p99 ms | unexpected |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, result in rows:
        unexpected = sum(result.unexpected.values())
        lines.append(
            f"| {label} | {result.requests_per_sec:,.0f} | {result.p50_ms:.2f} | "
            f"{result.p99_ms:.2f} | {unexpected} |"
        )
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny windows (a smoke run)")
    parser.add_argument("--clients", type=int, help="concurrent clients (16; 4 with --quick)")
    # `nox -s bench -- ...` hands every script the same options; others' are not ours to refuse.
    options, _unknown = parser.parse_known_args(argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Measure both runs and print them; 1 when an answer had an unexpected status."""
    options = _parse(argv)
    plan = QUICK if options.quick else FULL
    if options.clients:
        plan = Plan(plan.warmup_sec, plan.window_sec, options.clients)
    token = secrets.token_urlsafe(24)
    rows: list[tuple[str, Measurement]] = []
    outboxes: list[str] = []
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="coord-bench-webhook-") as scratch_name,
        ProcessPoolExecutor(1, mp_context=context) as pool,
    ):
        scratch = Path(scratch_name)
        repo = make_repo(scratch / "repo", TRACKED_FILES)
        with coord_api(scratch, token, repo, {}) as port:
            rows.append(("none", measure(pool, port, token, plan)))
        for label, hang_sec in (("receiver answers at once", 0.0),
                                (f"receiver hangs {HANG_SEC:g} s", HANG_SEC)):  # fmt: skip
            with Receiver(hang_sec) as receiver:
                hook = {"COORD_WEBHOOK_URL": receiver.url, "COORD_WEBHOOK_RETRY_BACKOFF_SEC": "1"}
                with coord_api(scratch, token, repo, hook) as port:
                    rows.append((label, measure(pool, port, token, plan)))
                    outboxes.append(outbox_line(label, port, token, receiver.received))
    print(table(rows))
    print("\n" + "\n".join(outboxes))
    print(f"{plan.clients} clients, {plan.warmup_sec:g} s warm-up, {plan.window_sec:g} s measured.")
    return 1 if any(result.unexpected for _, result in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
