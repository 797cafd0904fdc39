"""Checkouts registered by `coord init --mode local`, kept in a small file beside the database.

A checkout is a path on the service's own machine, so it belongs to the process's data
directory rather than to the database, which several machines may share (docs/decisions.md).
The file is JSON, `{"checkouts": [{"repo": ..., "path": ...}]}`, rewritten whole through a
temporary file and a rename, so a crash leaves the old or the new version, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

_log = logging.getLogger(__name__)

FILE_SUFFIX = ".checkouts.json"
"""Appended to the database file's name: `coordination.db` -> `coordination.db.checkouts.json`."""


class RegisteredCheckouts:
    """The registrations stored at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, database_path: Path) -> RegisteredCheckouts:
        """The registrations of the SQLite database at `database_path`."""
        return cls(database_path.with_name(database_path.name + FILE_SUFFIX))

    def load(self) -> dict[str | None, Path]:
        """Repository id (None: the default) -> checkout; empty when nothing is registered.

        A file that cannot be read is logged and treated as empty: registrations only add
        warnings and limits, and must not keep the service from starting.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            _log.warning("cannot read registered checkouts from %s: %s", self.path, exc)
            return {}
        try:
            return _parse(json.loads(text))
        except (ValueError, TypeError, KeyError) as exc:
            _log.warning("ignoring %s, which is not a list of checkouts: %s", self.path, exc)
            return {}

    def save(self, repo: str | None, root: Path) -> None:
        """Store `root` as the checkout of `repo`, keeping the other registrations."""
        entries = self.load()
        entries[repo] = root
        rows = [
            {"repo": name, "path": str(path)}
            for name, path in sorted(entries.items(), key=lambda item: item[0] or "")
        ]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_name(self.path.name + ".tmp")
        scratch.write_text(json.dumps({"checkouts": rows}, indent=2) + "\n", encoding="utf-8")
        os.replace(scratch, self.path)


def _parse(document: object) -> dict[str | None, Path]:
    if not isinstance(document, dict):
        raise TypeError("the top level is not an object")
    entries: dict[str | None, Path] = {}
    for row in document["checkouts"]:
        repo, path = row["repo"], row["path"]
        if not (repo is None or isinstance(repo, str)) or not isinstance(path, str):
            raise TypeError(f"bad entry {row!r}")
        entries[repo or None] = Path(path)
    return entries
