"""`COORD_HOME` (default `~/.coord`): the state of the service `coord start` runs locally.

It holds the operator token (mode 0600), the SQLite database, the pid and address of the running
server, its log, and the time of the last update check. The token is created once and reused, so
a restart keeps every wired checkout working.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coord_cli._files import write_atomic
from coord_cli.errors import CliError, ExitCode

TOKEN_BYTES = 32
"""Entropy of a generated operator token."""

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


@dataclass(frozen=True, slots=True)
class ServerRecord:
    """What `coord start` wrote down about the server it launched."""

    pid: int
    """Process id of `coord-api`."""
    host: str
    """Address it binds."""
    port: int
    """Port it listens on."""
    api_url: str
    """URL a client on this machine uses."""
    started_at: str
    """UTC time of the start, ISO-8601."""

    def to_json(self) -> dict[str, Any]:
        """The record as written to `server.json`."""
        return {
            "pid": self.pid,
            "host": self.host,
            "port": self.port,
            "api_url": self.api_url,
            "started_at": self.started_at,
        }


@dataclass(frozen=True, slots=True)
class CoordHome:
    """Paths of the local service's state."""

    root: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> CoordHome:
        """`COORD_HOME`, or `~/.coord`."""
        configured = environ.get("COORD_HOME", "").strip()
        return cls(Path(configured).expanduser() if configured else Path.home() / ".coord")

    @property
    def token_file(self) -> Path:
        """The operator token, mode 0600."""
        return self.root / "token"

    @property
    def database(self) -> Path:
        """The SQLite database of the local service."""
        return self.root / "coordination.db"

    @property
    def pid_file(self) -> Path:
        """Process id of the running server."""
        return self.root / "coord-api.pid"

    @property
    def server_file(self) -> Path:
        """Address of the running server (`ServerRecord`)."""
        return self.root / "server.json"

    @property
    def log_file(self) -> Path:
        """Output of a server started with `--background`."""
        return self.root / "coord-api.log"

    @property
    def update_check_file(self) -> Path:
        """When the newer-version check last ran."""
        return self.root / "update-check.json"

    def ensure(self) -> None:
        """Create the directory, readable by its owner only."""
        try:
            self.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(
                f"cannot create COORD_HOME {self.root} ({exc.strerror})",
                "set COORD_HOME to a writable directory",
                ExitCode.NOT_CONFIGURED,
            ) from exc

    def read_token(self) -> str | None:
        """The operator token, or None before the first `coord start`/`coord init`."""
        try:
            token = self.token_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CliError(
                f"cannot read the token file {self.token_file} ({exc.strerror})",
                "check its owner and permissions, or delete it to make a new token",
                ExitCode.NOT_CONFIGURED,
            ) from exc
        return token or None

    def ensure_token(self) -> str:
        """The operator token, generated (mode 0600) when there is none yet."""
        existing = self.read_token()
        if existing:
            _tighten(self.token_file)
            return existing
        self.ensure()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        write_private(self.token_file, token + "\n")
        return token

    def read_server(self) -> ServerRecord | None:
        """The record of the server `coord start` launched, if one was written."""
        try:
            raw = json.loads(self.server_file.read_text(encoding="utf-8"))
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
            return ServerRecord(
                pid, str(raw["host"]), int(raw["port"]), str(raw["api_url"]),
                str(raw["started_at"]),
            )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_server(self, record: ServerRecord) -> None:
        """Remember the launched server (pid file and address)."""
        write_private(self.server_file, json.dumps(record.to_json(), indent=2) + "\n")
        write_private(self.pid_file, f"{record.pid}\n")

    def forget_server(self) -> None:
        """Remove the pid file and address of a server that is gone."""
        for path in (self.pid_file, self.server_file):
            path.unlink(missing_ok=True)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, readable by its owner only (0600)."""
    write_atomic(path, text.encode("utf-8"), PRIVATE_FILE)


def _tighten(path: Path) -> None:
    # A token file copied around may have lost its mode; others must not read it.
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE_FILE)
