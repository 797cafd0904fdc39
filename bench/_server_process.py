"""Starting the servers under test as real processes on free loopback ports, and stopping them."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
READY_TIMEOUT_SEC = 60.0
STOP_TIMEOUT_SEC = 10.0


class StartError(Exception):
    """A server did not come up; the message carries the end of its log."""


@dataclass(frozen=True, slots=True)
class Running:
    """A server process that answers on `port`."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def coord_api(
    scratch: Path,
    token: str,
    repo_root: Path | None,
    command: Path | None = None,
    settings: Mapping[str, str] | None = None,
) -> Iterator[Running]:
    """The real `coord-api` process with a fresh SQLite database under `scratch`, unless
    `settings` (more `COORD_*` variables) name another database; `command` runs another
    checkout's `coord-api` instead of this environment's (a baseline)."""
    port = free_port()
    database = scratch / f"coord-{port}.db"
    environment = {
        "COORD_AUTH_TOKEN": token,
        "COORD_HOST": "127.0.0.1",
        "COORD_PORT": str(port),
        "COORD_DATABASE_PATH": str(database),
        "COORD_LOG_LEVEL": "warning",
        **({"COORD_REPO_ROOT": str(repo_root)} if repo_root is not None else {}),
        **(settings or {}),
    }
    executable = [str(command)] if command is not None else _coord_api_command()
    with _serving(executable, environment, scratch / f"coord-{port}.log", port) as run:
        yield run


@contextlib.contextmanager
def ceiling_app(scratch: Path) -> Iterator[Running]:
    """The trivial Starlette + SQLite app of `_server_ceiling.py`."""
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "_server_ceiling.py"), str(port)]
    command.append(str(scratch / f"ceiling-{port}.db"))
    with _serving(command, {}, scratch / f"ceiling-{port}.log", port) as running:
        yield running


@contextlib.contextmanager
def canned_server(scratch: Path) -> Iterator[Running]:
    """The canned-answer server of `_server_canned.py`."""
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "_server_canned.py"), str(port)]
    with _serving(command, {}, scratch / f"canned-{port}.log", port) as running:
        yield running


def cpu_times(pid: int) -> tuple[float, float]:
    """Seconds process `pid` has run on a CPU, and waited for one while runnable, so far.

    Summed over its threads from /proc's scheduler statistics; NaN where those are missing.
    """
    try:
        stats = [path.read_text().split() for path in Path(f"/proc/{pid}/task").glob("*/schedstat")]
    except OSError:
        return math.nan, math.nan
    if not stats:
        return math.nan, math.nan
    return sum(int(s[0]) for s in stats) / 1e9, sum(int(s[1]) for s in stats) / 1e9


def rss_mib(pid: int) -> float:
    """Resident memory of process `pid` in MiB (NaN when /proc does not say)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return math.nan
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _coord_api_command() -> list[str]:
    # The console script of this interpreter's environment, not whichever is first on PATH.
    script = Path(sys.executable).parent / "coord-api"
    return [str(script)] if script.exists() else [sys.executable, "-m", "coord_server"]


@contextlib.contextmanager
def _serving(
    command: list[str], environment: Mapping[str, str], log_path: Path, port: int
) -> Iterator[Running]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
            command, env={**clean, **environment}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(process, port, log_path)
            yield Running(port, process)
        finally:
            stop_process(process)
    if "Traceback" in log_path.read_text(errors="replace"):
        print(f"{command[0]} logged an error:\n{_tail(log_path)}", file=sys.stderr)


def _wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SEC
    url = f"http://127.0.0.1:{port}/readyz"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(
                f"{process.args!r} exited with {process.returncode}:\n{_tail(log_path)}"
            )
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    raise StartError(
        f"{process.args!r} not ready within {READY_TIMEOUT_SEC:g} s:\n{_tail(log_path)}"
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process`, killing it when it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_SEC)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log_path: Path, lines: int = 30) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
