"""`--help` of every command, kept stable by snapshots and readable in 80 columns.

Snapshots live in `snapshots/`; regenerate them after an intended change with
`COORD_UPDATE_SNAPSHOTS=1 uv run pytest packages/coord-cli/tests/test_cli_help.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coord_cli import __main__ as entry

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("COORD_UPDATE_SNAPSHOTS") == "1"
ENV = {"COLUMNS": "80", "COORD_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}

COMMANDS = [
    [],
    ["start"],
    ["stop"],
    ["status"],
    ["init"],
    ["doctor"],
    ["claims"],
    ["claim"],
    ["release"],
    ["reconcile"],
    ["engineers"],
    ["engineers", "stale"],
    ["outbox"],
    ["outbox", "stats"],
    ["outbox", "tail"],
    ["outbox", "retry"],
    ["outbox", "purge"],
    ["tokens"],
    ["tokens", "create"],
    ["tokens", "list"],
    ["tokens", "rotate"],
    ["tokens", "revoke"],
    ["completion"],
]


def _snapshot_path(command: list[str]) -> Path:
    return SNAPSHOTS / f"help-{'-'.join(['coord', *command])}.txt"


def _help(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """The help text exactly as the console script prints it in an 80-column terminal."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "argv", ["coord", *command, "--help"])
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code in (0, None)
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(["coord", *c]))
def test_help_matches_its_snapshot_and_fits_80_columns(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(command, monkeypatch, capsys)
    path = _snapshot_path(command)
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed; see the module doc"
    assert max(len(line) for line in text.splitlines()) <= 80


def test_every_command_has_a_snapshot() -> None:
    expected = {_snapshot_path(command).name for command in COMMANDS}
    assert {path.name for path in SNAPSHOTS.glob("help-*.txt")} == expected


@pytest.mark.slow
def test_the_installed_script_prints_the_same_help() -> None:
    coord = Path(sys.executable).parent / "coord"
    done = subprocess.run(
        [str(coord), "--help"], capture_output=True, text=True, check=False,
        env={**os.environ, **ENV}, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == _snapshot_path([]).read_text(encoding="utf-8")
