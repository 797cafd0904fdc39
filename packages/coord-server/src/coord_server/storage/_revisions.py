"""The migrations' revisions, read from the text of their files, without loading Alembic.

A service that starts on a database already at the newest revision has nothing to migrate, and
Alembic (with its script machinery) is a large part of what a start would otherwise import.
Each file under `migrations/versions` names itself (`revision = "0005"`) and its parent
(`down_revision = "0004"`, or a tuple for a merge); the head is the one revision no other names
as parent. A test holds this reading equal to Alembic's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
"""Where the migration scripts are."""

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"'\s]+)["']""")


@dataclass(frozen=True, slots=True)
class Revisions:
    """Every revision the code knows, and the one to migrate to."""

    known: frozenset[str]
    """Ids of every migration script."""
    head: str | None
    """The newest revision; None unless exactly one revision is nobody's parent."""


def read_revisions(directory: Path = VERSIONS) -> Revisions:
    """The revisions of the migration scripts in `directory`."""
    parents: dict[str, set[str]] = {}
    for script in sorted(directory.glob("*.py")):
        text = script.read_text("utf-8")
        names = {match[1]: match[2] for match in _ASSIGNMENT.finditer(text)}
        own = _QUOTED.findall(names.get("revision", ""))
        if len(own) == 1:  # `__init__.py` and helpers name no revision
            parents[own[0]] = set(_QUOTED.findall(names.get("down_revision", "")))
    named = set().union(*parents.values()) if parents else set()
    heads = [revision for revision in parents if revision not in named]
    return Revisions(frozenset(parents), heads[0] if len(heads) == 1 else None)
