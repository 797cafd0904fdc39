"""`coord start`, `coord stop`, `coord status`: a local coord service with sane defaults.

State lives under `COORD_HOME` (see `coord_cli.home`). `start` is idempotent: when the server it
launched earlier still answers, it reports that server instead of starting a second one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import webbrowser
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from coord_cli import _server, checkouts
from coord_cli._output import emit_json, error_console, say, warn
from coord_cli.errors import CliError, ExitCode
from coord_cli.home import CoordHome, ServerRecord
from coord_protocol.client import ClientConfig, CoordClient
from coord_protocol.errors import CoordError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_READY_TIMEOUT_SEC = 30.0
READY_TIMEOUT_VARIABLE = "COORD_START_READY_TIMEOUT_SEC"
LOG_LINES_ON_FAILURE = 20

HostOption = Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")]
PortOption = Annotated[
    int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@dataclass(frozen=True, slots=True)
class Running:
    """A server launched by `coord start` that answers `/readyz`."""

    record: ServerRecord
    readiness: dict[str, object]


def start(
    host: HostOption = DEFAULT_HOST,
    port: PortOption = DEFAULT_PORT,
    background: Annotated[
        bool, typer.Option("--background", "-b", help="Detach; write output to the log file.")
    ] = False,
    json_output: JsonOption = False,
    open_dashboard: Annotated[
        bool, typer.Option("--open-dashboard", help="Open the dashboard in a web browser.")
    ] = False,
) -> None:
    """Start a local coord service.

    State lives under COORD_HOME (default ~/.coord): the token (mode 0600),
    the SQLite database, the pid and log files. Prints the API URL, the
    dashboard URL and an `export COORD_AUTH_TOKEN=...` line. Without
    --background the service runs until Ctrl-C. Running it again reuses a
    running service.
    """
    _server.require_server_package()
    timeout = ready_timeout()  # a bad value is reported before anything starts
    home = CoordHome.from_env(os.environ)
    home.ensure()
    token = home.ensure_token()
    running = find_running(home, timeout)
    if running is not None:
        _report_existing(home, running, token, port, json_output)
        _warn_unapplied_checkouts(running.record.api_url, token)
        _maybe_open(running.record.api_url, token, open_dashboard)
        return
    _server.ensure_port_free(host, port)
    process, record, readiness = _launch(home, host, port, token, background, json_output, timeout)
    _report(home, record, readiness, token, "started", background, json_output)
    _maybe_open(record.api_url, token, open_dashboard)
    if not background:
        _serve_until_interrupted(home, process)


def stop(json_output: JsonOption = False) -> None:
    """Stop the service that `coord start` launched."""
    home = CoordHome.from_env(os.environ)
    record = home.read_server()
    if record is None or not _server.is_alive(record.pid):
        home.forget_server()
        _result(json_output, {"status": "not_running"}, "coord is not running.")
        return
    if not _server.stop(record.pid):
        raise CliError(
            f"coord-api (pid {record.pid}) did not exit",
            f"stop it by hand: `kill -9 {record.pid}`",
        )
    home.forget_server()
    _result(
        json_output,
        {"status": "stopped", "pid": record.pid},
        f"Stopped coord (pid {record.pid}).",
    )


def status(json_output: JsonOption = False) -> None:
    """Show whether the local service runs.

    Exits 0 when it runs and answers, 1 otherwise.
    """
    home = CoordHome.from_env(os.environ)
    record = home.read_server()
    if record is None or not _server.is_alive(record.pid):
        home.forget_server()
        _result(
            json_output,
            {"status": "not_running", "home": str(home.root)},
            "coord is not running; start it with `coord start --background`.",
        )
        raise typer.Exit(ExitCode.FAILED)
    readiness = _server.probe_ready(record.api_url)
    if readiness is None:
        details = {"status": "not_ready", "pid": record.pid, "api_url": record.api_url}
        _result(
            json_output,
            details,
            f"coord-api (pid {record.pid}) runs but {record.api_url}/readyz does not answer; "
            f"see its log: {home.log_file}",
        )
        raise typer.Exit(ExitCode.FAILED)
    _report(home, record, readiness, home.read_token(), "running", True, json_output)


def find_running(home: CoordHome, timeout: float) -> Running | None:
    """The server `coord start` launched, once ready; None when there is none (stale records go).

    A live server that stays unready for the start timeout is an error, not a reason to start
    a second one.
    """
    record = home.read_server()
    if record is None:
        return None
    if not _server.is_alive(record.pid):
        home.forget_server()
        return None
    readiness = _server.wait_ready(record.api_url, lambda: _server.is_alive(record.pid), timeout)
    if readiness is None:
        raise CliError(
            f"coord-api (pid {record.pid}) runs but does not answer {record.api_url}/readyz",
            f"read its log {home.log_file}, or restart it: `coord stop`, then `coord start`",
        )
    return Running(record, readiness)


def ready_timeout() -> float:
    """`COORD_START_READY_TIMEOUT_SEC`, or 30 seconds."""
    raw = os.environ.get(READY_TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_READY_TIMEOUT_SEC
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise CliError(
            f"{READY_TIMEOUT_VARIABLE} must be a number of seconds in (0, 3600], got {raw!r}",
            f"unset it or set e.g. {READY_TIMEOUT_VARIABLE}=60",
            ExitCode.NOT_CONFIGURED,
        )
    return value


def _launch(
    home: CoordHome,
    host: str,
    port: int,
    token: str,
    background: bool,
    quiet: bool,
    timeout: float,
) -> tuple[subprocess.Popen[bytes], ServerRecord, dict[str, object]]:
    url = _server.api_url(host, port)
    env = {
        "COORD_HOST": host,
        "COORD_PORT": str(port),
        "COORD_DATABASE_PATH": str(home.database),
        "COORD_AUTH_TOKEN": token,
    }
    log_offset = home.log_file.stat().st_size if home.log_file.exists() else 0
    process = _server.launch(env, home.log_file if background else None, home.root)
    record = ServerRecord(process.pid, host, port, url, datetime.now(UTC).isoformat())
    home.write_server(record)
    readiness = _wait_with_spinner(url, process, quiet, timeout)
    if readiness is None:
        _abandon(home, process)
        raise _start_failure(home, process, url, background, log_offset)
    if background:
        _repeat_settings_warnings(home, log_offset)
    return process, record, readiness


def _wait_with_spinner(
    url: str, process: subprocess.Popen[bytes], quiet: bool, timeout: float
) -> dict[str, object] | None:
    stderr = error_console()
    spinner = (
        stderr.status(f"Waiting for coord at {url} ...")
        if stderr.is_terminal and not quiet
        else nullcontext()
    )
    with spinner:
        return _server.wait_ready(url, lambda: process.poll() is None, timeout)


def _abandon(home: CoordHome, process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        _server.stop(process.pid)
    process.wait()
    home.forget_server()


def _start_failure(
    home: CoordHome, process: subprocess.Popen[bytes], url: str, background: bool, offset: int
) -> CliError:
    code = process.returncode
    why = f"exited with status {code}" if code else f"did not answer {url}/readyz in time"
    where = "above" if not background else f"in the lines of {home.log_file} above"
    if background:
        lines = _log_since(home, offset)
        if lines:
            error_console().print(f"Last lines of {home.log_file}:", style="bold")
            for line in lines:
                error_console().print(f"  {line}")
    if code == _CONFIGURATION_EXIT:
        fix = f"fix what coord-api names {where}, then run `coord start` again"
    elif code:
        fix = f"see why {where}"
    else:
        fix = f"see {where}; raise {READY_TIMEOUT_VARIABLE} if the machine is slow"
    return CliError(f"coord-api {why}", fix)


_CONFIGURATION_EXIT = 2
"""coord-api's exit status for a setting it refuses (the message names the variable)."""


def _log_since(home: CoordHome, offset: int, limit: int | None = LOG_LINES_ON_FAILURE) -> list[str]:
    try:
        with home.log_file.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    lines = text.splitlines()
    return lines if limit is None else lines[-limit:]


def _serve_until_interrupted(home: CoordHome, process: subprocess.Popen[bytes]) -> None:
    error_console().print("Press Ctrl-C to stop.", style="dim")
    _forward_termination(process)
    try:
        process.wait()
    except KeyboardInterrupt:
        # A terminal's Ctrl-C reaches the server too; give it time to shut down cleanly.
        try:
            process.wait(_server.STOP_GRACE_SEC)
        except subprocess.TimeoutExpired:
            _server.stop(process.pid)
    finally:
        home.forget_server()
    if process.returncode not in _CLEAN_EXITS:
        raise CliError(f"coord-api exited with status {process.returncode}", "see its output above")


_CLEAN_EXITS = (0, -signal.SIGINT, -signal.SIGTERM, None)


def _forward_termination(process: subprocess.Popen[bytes]) -> None:
    # Stopped by a supervisor (SIGTERM) or a closed terminal (SIGHUP), the server must not be
    # left running without anyone who knows about it.
    def stop_server(_signum: int, _frame: object) -> None:
        if process.poll() is None:
            process.terminate()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_server)


def _report_existing(
    home: CoordHome, running: Running, token: str, port: int, json_output: bool
) -> None:
    record = running.record
    if record.port != port:
        warn(
            f"coord already runs on port {record.port}; to move it to {port}, "
            f"run `coord stop` then `coord start --port {port}`"
        )
    _report(home, record, running.readiness, token, "already_running", True, json_output)


def _report(
    home: CoordHome,
    record: ServerRecord,
    readiness: dict[str, object],
    token: str | None,
    state: str,
    background: bool,
    json_output: bool,
) -> None:
    details = _details(home, record, readiness, state, background)
    if json_output:
        emit_json(details)
        return
    headline = {
        "started": "coord is running",
        "already_running": "coord is already running",
        "running": "coord is running",
    }[state]
    say(f"{headline} (pid {record.pid}, coord {details['version']})", style="bold green")
    for label, key in _LABELS:
        if key in details:
            say(f"  {label:<11} {details[key]}")
    _say_checkouts(record.api_url, token)
    if token is not None:
        say("")
        say("Use the API from this shell:")
        say(f"export COORD_AUTH_TOKEN={token}")


def _say_checkouts(api_url: str, token: str | None) -> None:
    known = checkouts.known(api_url, token)
    if known is None:
        return
    if not known:
        say(f"  {'Checkouts:':<11} none; `coord init --mode local` in a checkout registers it")
        return
    for index, checkout in enumerate(known):
        label = "Checkouts:" if index == 0 else ""
        say(f"  {label:<11} {checkouts.describe(checkout)}")


_SETTINGS_LOGGER = " coord.settings: "
"""Where coord-api logs a setting it ignores; a background start repeats those lines."""


def _repeat_settings_warnings(home: CoordHome, offset: int) -> None:
    # In the foreground the server's own stderr shows them; in the background they would sit
    # in the log, where a misspelt variable is easily missed.
    for line in _log_since(home, offset, limit=None):
        if _SETTINGS_LOGGER in line:
            warn(line.split(_SETTINGS_LOGGER, 1)[1])


def _warn_unapplied_checkouts(api_url: str, token: str) -> None:
    """A running service keeps the checkouts it started with: say so when the shell differs."""
    wanted = {
        name: os.environ[name].strip()
        for name in ("COORD_REPO_ROOT", "COORD_REPO_ROOTS")
        if os.environ.get(name, "").strip()
    }
    if not wanted:
        return
    known = checkouts.known(api_url, token) or []
    configured = {c.path for c in known if c.source != "registered"}
    if all(_paths_known(value, configured) for value in wanted.values()):
        return
    names = " and ".join(wanted)
    verb = "differs" if len(wanted) == 1 else "differ"
    warn(
        f"{names} of this shell {verb} from the checkouts of the running service, which keeps "
        "its own until it restarts: run `coord stop`, then `coord start` to apply them"
    )


def _paths_known(value: str, configured: set[str]) -> bool:
    paths = [entry.partition("=")[2] or entry for entry in value.split(",") if entry.strip()]
    return all(str(Path(path.strip()).resolve()) in configured for path in paths)


_LABELS = (
    ("API:", "api_url"),
    ("Dashboard:", "dashboard_url"),
    ("Auth:", "auth_mode"),
    ("Database:", "database"),
    ("Token file:", "token_file"),
    ("Log:", "log_file"),
)


def _details(
    home: CoordHome,
    record: ServerRecord,
    readiness: dict[str, object],
    state: str,
    background: bool,
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "status": state,
        "pid": record.pid,
        "api_url": record.api_url,
        "dashboard_url": f"{record.api_url}/dashboard",
        "version": str(readiness.get("version", "unknown")),
        "auth_mode": str(readiness.get("auth_mode", "unknown")),
        "database": str(home.database),
        "token_file": str(home.token_file),
        "started_at": record.started_at,
    }
    if background:
        details["log_file"] = str(home.log_file)
    return details


def _result(json_output: bool, details: dict[str, Any], text: str) -> None:
    if json_output:
        emit_json(details)
    else:
        say(text)


def _maybe_open(url: str, token: str, wanted: bool) -> None:
    if wanted and not webbrowser.open(dashboard_link(url, token)):
        warn(f"could not open a browser; visit {url}/dashboard")


def dashboard_link(url: str, token: str) -> str:
    """A one-time link that signs the browser in: the token itself never goes in a URL."""
    try:
        with CoordClient(ClientConfig(url, token)) as client:
            return url + client.dashboard_login_link().path
    except CoordError:
        return f"{url}/dashboard"  # a service without login links: its login form asks
