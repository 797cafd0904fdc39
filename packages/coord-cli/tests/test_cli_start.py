"""`coord start`, `coord status`, `coord stop` as a new user runs them (real coord-api)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from coord_e2e import free_port

if TYPE_CHECKING:
    from conftest import User

pytestmark = pytest.mark.slow


def test_start_background_status_restart_and_stop(new_user: User) -> None:
    port = str(free_port())
    started = new_user.coord("start", "--background", "--port", port)
    try:
        assert started.returncode == 0, started.stderr
        token = (new_user.home / "token").read_text(encoding="utf-8").strip()
        assert f"API:        http://127.0.0.1:{port}" in started.stdout
        assert f"Dashboard:  http://127.0.0.1:{port}/dashboard" in started.stdout
        assert f"export COORD_AUTH_TOKEN={token}" in started.stdout
        assert stat.S_IMODE((new_user.home / "token").stat().st_mode) == 0o600
        assert (new_user.home / "coordination.db").is_file()
        # The token really is the service's operator token.
        whoami = httpx.get(
            f"http://127.0.0.1:{port}/whoami", headers={"Authorization": f"Bearer {token}"}
        )
        assert whoami.json()["principal"] == "operator"

        status = new_user.coord("status", "--json")
        assert status.returncode == 0, status.stderr
        running = json.loads(status.stdout)
        assert running["status"] == "running"
        assert running["api_url"] == f"http://127.0.0.1:{port}"
        assert token not in status.stdout

        again = new_user.coord("start", "--background", "--port", port, "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["status"] == "already_running"
        assert json.loads(again.stdout)["pid"] == running["pid"]
        assert (new_user.home / "token").read_text(encoding="utf-8").strip() == token
    finally:
        stopped = new_user.coord("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped coord" in stopped.stdout
    after = new_user.coord("status")
    assert after.returncode == 1
    assert "coord is not running" in after.stdout
    assert not (new_user.home / "coord-api.pid").exists()
    assert new_user.coord("stop").stdout.strip() == "coord is not running."


def test_start_reports_a_port_taken_by_another_program(new_user: User) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        done = new_user.coord("start", "--background", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"coord: port {port} on 127.0.0.1 is already in use by another program",
        f"  fix: choose another port, e.g. `coord start --port {port + 1}`",
    ]
    assert not (new_user.home / "coord-api.pid").exists()


def test_a_server_that_cannot_start_shows_the_end_of_its_log(new_user: User) -> None:
    # An invalid server setting in the environment makes coord-api exit at once.
    done = new_user.coord(
        "start", "--background", "--port", str(free_port()), COORD_DEFAULT_TTL_HOURS="999"
    )
    assert done.returncode == 1
    assert "Last lines of" in done.stderr
    assert "COORD_DEFAULT_TTL_HOURS" in done.stderr
    assert "coord: coord-api exited with status 2" in done.stderr
    # The fix is about the setting named above, not about a slow machine.
    assert "fix: fix what coord-api names" in done.stderr
    assert "COORD_START_READY_TIMEOUT_SEC" not in done.stderr
    assert "Traceback" not in done.stderr
    assert not (new_user.home / "coord-api.pid").exists()


def test_start_names_settings_it_ignores_or_cannot_apply(new_user: User) -> None:
    port = str(free_port())
    done = new_user.coord("start", "--background", "--port", port, COORD_DEFAULT_TTL_HOUR="2")
    try:
        assert done.returncode == 0, done.stderr
        assert (
            "coord: COORD_DEFAULT_TTL_HOUR is not a coord setting and is ignored; did you mean "
            "COORD_DEFAULT_TTL_HOURS?" in done.stderr
        )
        status = new_user.coord("status")
        assert "export COORD_AUTH_TOKEN=" in status.stdout
        assert "Checkouts:  none" in status.stdout
        again = new_user.coord(
            "start", "--background", "--port", port, COORD_REPO_ROOT=str(new_user.home)
        )
        assert again.returncode == 0, again.stderr
        assert "coord is already running" in again.stdout
        assert "COORD_REPO_ROOT of this shell differs" in again.stderr
        assert "`coord stop`, then `coord start`" in again.stderr
    finally:
        new_user.coord("stop")


def test_an_invalid_ready_timeout_is_named(new_user: User) -> None:
    port = str(free_port())
    done = new_user.coord(
        "start", "--background", "--port", port, COORD_START_READY_TIMEOUT_SEC="soon"
    )
    assert not (new_user.home / "coord-api.pid").exists()
    assert done.returncode == 3
    assert done.stderr.startswith(
        "coord: COORD_START_READY_TIMEOUT_SEC must be a number of seconds in (0, 3600], got 'soon'"
    )


def test_a_foreground_service_stops_with_the_command(new_user: User) -> None:
    port = free_port()
    coord = shutil.which("coord", path=new_user.env["PATH"])
    assert coord is not None
    output = new_user.scratch / "foreground.out"
    with output.open("w") as sink:
        command = subprocess.Popen(
            [coord, "start", "--port", str(port)], env=new_user.env, stdout=sink,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        _wait_for(lambda: "export COORD_AUTH_TOKEN=" in output.read_text(), command)
        server_pid = int((new_user.home / "coord-api.pid").read_text())
        assert new_user.coord("status").returncode == 0

        command.send_signal(signal.SIGTERM)  # as a supervisor or a closed terminal would
        assert command.wait(30) == 0
    finally:
        if command.poll() is None:
            command.kill()
    assert not (new_user.home / "coord-api.pid").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)
    assert new_user.coord("status").returncode == 1


def _wait_for(condition: Callable[[], bool], command: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert command.poll() is None, "coord start exited early"
        assert time.monotonic() < deadline, "coord start did not report a running service"
        time.sleep(0.05)  # the banner is the only sign of readiness there is
