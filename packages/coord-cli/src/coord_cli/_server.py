"""The local `coord-api` process: launching it, waiting until it is ready, stopping it.

The server runs as `python -m coord_server` with this interpreter, so it is found wherever the
CLI is installed with the `server` extra. Its token travels in the child's environment, never on
its command line, where any user of the machine could read it.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from coord_cli.errors import CliError, ExitCode
from coord_cli.install import INSTALL_FIX

STOP_GRACE_SEC = 10.0
"""How long a stopped server may take to exit before it is killed."""

POLL_INTERVAL_SEC = 0.1
"""Pause between readiness probes; start-up has nothing else to wait on."""

INSTALL_SERVER_HINT = f"install it beside the CLI: {INSTALL_FIX}"

# Settings that would point the local service somewhere else than COORD_HOME.
_NOT_INHERITED = (
    "COORD_DATABASE_URL",
    "COORD_ALLOW_INSECURE_NO_AUTH",
    "COORD_DISABLE_INSTANCE_LOCK",
)


def require_server_package() -> None:
    """Fail with the install command when coord-server is not importable here."""
    if importlib.util.find_spec("coord_server") is None:
        raise CliError(
            "`coord start` needs the coord-server package, which is not installed",
            INSTALL_SERVER_HINT,
            ExitCode.NOT_CONFIGURED,
        )


def api_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server bound to `host`."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - a bind-all address is reached through loopback
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def ensure_port_free(host: str, port: int) -> None:
    """Fail clearly when another program already listens on `host:port`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is already in use by another program",
                    f"choose another port, e.g. `coord start --port {port + 1}`",
                ) from exc
            raise CliError(
                f"cannot listen on {host}:{port} ({exc.strerror})",
                "check --host (an address of this machine) and --port",
            ) from exc


def launch(env: Mapping[str, str], log_file: Path | None, cwd: Path) -> subprocess.Popen[bytes]:
    """Start `coord-api`; with `log_file` detached into its own session, output to the file."""
    command = [sys.executable, "-m", "coord_server"]
    child_env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    child_env.update(env)
    if log_file is None:
        return subprocess.Popen(command, env=child_env, cwd=cwd, stdin=subprocess.DEVNULL)  # noqa: S603
    log_file.touch(mode=0o600, exist_ok=True)  # server logs are the operator's business only
    with log_file.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            command, env=child_env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def probe_ready(url: str, timeout: float = 2.0) -> dict[str, object] | None:
    """The `/readyz` answer when the service at `url` is ready, else None."""
    try:
        response = httpx.get(f"{url}/readyz", timeout=timeout)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("status") == "ready" else None


def wait_ready(
    url: str,
    alive: Callable[[], bool],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, object] | None:
    """Probe `/readyz` until it answers, the process dies (`alive`), or `timeout` passes."""
    deadline = clock() + timeout
    while clock() < deadline:
        answer = probe_ready(url, timeout=min(2.0, max(deadline - clock(), 0.1)))
        if answer is not None:
            return answer
        if not alive():
            return None
        time.sleep(POLL_INTERVAL_SEC)
    return None


def is_alive(pid: int) -> bool:
    """Whether a process with `pid` exists (and, where the system says, is a coord server)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to someone else
    return _looks_like_coord(pid)


def stop(pid: int, grace: float = STOP_GRACE_SEC) -> bool:
    """SIGTERM, then SIGKILL after `grace` seconds; True when the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _exists(pid):
            return True
        time.sleep(POLL_INTERVAL_SEC)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    return not _exists(pid)


def tail(path: Path, lines: int = 20) -> list[str]:
    """The last `lines` lines of a log file (empty when there is none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def _exists(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _looks_like_coord(pid: int) -> bool:
    # A pid file can outlive its process and the pid be reused: on Linux, ask what it runs.
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        command = cmdline.read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return True
    return b"coord_server" in command or b"coord-api" in command
