"""The entry point: every failure is one readable line and a meaningful exit code."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from coord_cli import __main__ as entry
from coord_cli import _server, claims
from coord_cli.completion import Shell, script
from coord_cli.engineers import find_stale
from coord_cli.errors import CliError
from coord_cli.install import INSTALL_FIX
from coord_cli.outbox import _supported
from coord_cli.target import Target
from coord_protocol.claims import Claim
from coord_protocol.errors import CoordError, ErrorCode


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["coord", *args])
    monkeypatch.setenv("COORD_NO_UPDATE_CHECK", "1")
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


def test_a_missing_server_package_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    real = importlib.util.find_spec

    def without_server(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "coord_server" else real(name, package)

    monkeypatch.setattr(_server.importlib.util, "find_spec", without_server)
    monkeypatch.setenv("COORD_HOME", str(tmp_path))
    code, err = _run(monkeypatch, capsys, "start", "--background")
    assert code == 3
    assert err.splitlines() == [
        "coord: `coord start` needs the coord-server package, which is not installed",
        f"  fix: install it beside the CLI: {INSTALL_FIX}",
    ]


def test_an_unexpected_error_is_one_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(claims, "current_target", broken)
    code, err = _run(monkeypatch, capsys, "claims")
    assert code == 1
    assert err.splitlines()[0] == "coord: unexpected error: RuntimeError: disk on fire"
    assert "Traceback" not in err


def test_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(monkeypatch, capsys, "start", "--bogus")
    assert code == 2
    assert "No such option: --bogus" in err


def test_an_old_server_without_outbox_routes_is_named() -> None:
    target = Target("http://old.example", "t", "environment", None, None)

    def missing() -> None:
        raise CoordError(ErrorCode.NOT_FOUND, "Not Found")

    with pytest.raises(CliError) as refused:
        _supported(target, "GET /admin/outbox/stats", missing)
    assert refused.value.message == (
        "the coord service at http://old.example does not support the webhook outbox yet "
        "(GET /admin/outbox/stats is unknown to it)"
    )


def _claim(claim_id: str, engineer: str, seen: datetime) -> Claim:
    return Claim.model_validate(
        {
            "id": claim_id, "engineer": engineer, "claim_type": "file", "pattern": claim_id,
            "fence": 1, "created_at": seen, "expires_at": seen + timedelta(days=7),
            "last_activity": seen,
        }
    )  # fmt: skip


def test_an_engineer_is_stale_only_when_every_claim_is_silent() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    claims_held = [
        _claim("a1", "ann", now - timedelta(days=3)),
        _claim("a2", "ann", now - timedelta(hours=2)),
        _claim("b1", "ben", now - timedelta(days=3)),
        _claim("c1", "cy", now - timedelta(days=5)),
    ]
    stale = find_stale(claims_held, now, days=1)
    assert [(entry.engineer, [c.id for c in entry.claims]) for entry in stale] == [
        ("cy", ["c1"]),
        ("ben", ["b1"]),
    ]


@pytest.mark.parametrize("shell", list(Shell))
def test_completion_scripts_call_back_into_coord(shell: Shell) -> None:
    text = script(shell)
    assert "_COORD_COMPLETE=complete_" in text
    assert "coord" in text


@pytest.mark.slow
def test_completion_answers_come_from_the_installed_script() -> None:
    coord = Path(sys.executable).parent / "coord"
    env = {
        **os.environ,
        "_COORD_COMPLETE": "complete_bash",
        "COMP_WORDS": "coord st",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        [str(coord)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["start", "stop", "status"]
