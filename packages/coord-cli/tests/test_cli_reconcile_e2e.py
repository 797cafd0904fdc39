"""`coord reconcile` and `coord claim --from-worktree` in real git checkouts against a real service
started with `coord start`, run as the installed `coord` (SPEC §16)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Clone, Service

pytestmark = pytest.mark.slow

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _wired(service: Service, name: str) -> Clone:
    user = service.user
    clone = user.clone(name)
    done = user.coord("init", "--tool", "claude", "--yes", cwd=clone.root)
    assert done.returncode == 0, done.stderr
    user.git(clone.root, "add", "-A")
    user.git(clone.root, "commit", "-q", "--no-gpg-sign", "-m", "wire coord")
    return clone


def _json(done: Any) -> Any:
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)


def test_reconcile_names_undeclared_edits_and_their_holders(cli_service: Service) -> None:
    user = cli_service.user
    clone = _wired(cli_service, "held")
    held = _json(user.coord("claim", "src/app.py", "-e", "sam", "--json", cwd=clone.root))
    mine = _json(user.coord("claim", "/README.md", "--json", cwd=clone.root))
    (clone.root / "src" / "app.py").write_text("def main():\n    return 2\n", encoding="utf-8")
    (clone.root / "README.md").write_text("# shop, edited\n", encoding="utf-8")
    (clone.root / "notes").mkdir()
    (clone.root / "notes" / "[draft].md").write_text("new\n", encoding="utf-8")
    user.git(clone.root, "add", "notes")

    report = _json(user.coord("reconcile", "--json", cwd=clone.root))
    assert report["engineer"] == "alex" and report["changed"] == 3
    edits = {edit["path"]: edit for edit in report["undeclared_edits"]}
    assert set(edits) == {"src/app.py", "notes/[draft].md"}
    (holder,) = edits["src/app.py"]["held_by"]
    assert holder == {"engineer": "sam", "claim_id": held["claim_ids"][0], "pattern": "src/app.py"}
    assert edits["notes/[draft].md"]["held_by"] == []
    assert edits["notes/[draft].md"]["fix"] == "coord claim 'notes/[[]draft].md'"
    assert report["idle_claims"] == [] and mine["claim_ids"]

    text = user.coord("reconcile", cwd=clone.root)
    assert text.returncode == 0
    assert "src/app.py: no claim of yours covers it, held by sam" in text.stdout
    assert "Next: coord claim --from-worktree" in text.stdout
    assert user.coord("reconcile", "--strict", cwd=clone.root).returncode == 1


def test_claim_from_worktree_claims_exactly_the_changed_files(cli_service: Service) -> None:
    user = cli_service.user
    clone = _wired(cli_service, "fromtree")
    (clone.root / "src" / "app.py").write_text("changed\n", encoding="utf-8")
    (clone.root / "README.md").unlink()
    (clone.root / "src" / "new.py").write_text("x = 1\n", encoding="utf-8")
    (clone.root / "untouched.txt").write_text("", encoding="utf-8")
    user.git(clone.root, "add", "untouched.txt")
    user.git(clone.root, "commit", "-q", "--no-gpg-sign", "-m", "a clean file")

    granted = _json(user.coord("claim", "--from-worktree", "--json", cwd=clone.root))
    patterns = sorted(row["pattern"] for row in granted["claims"])
    assert patterns == ["/README.md", "src/app.py", "src/new.py"]
    assert all(row["engineer"] == "alex" for row in granted["claims"])
    assert _json(user.coord("reconcile", "--json", cwd=clone.root))["undeclared_edits"] == []
    again = user.coord("claim", "--from-worktree", cwd=clone.root)
    assert again.returncode == 0 and "Nothing to claim" in again.stdout


def test_claim_from_worktree_is_refused_whole_when_one_file_is_held(cli_service: Service) -> None:
    user = cli_service.user
    clone = _wired(cli_service, "refused")
    held = _json(user.coord("claim", "src/**", "-e", "sam", "--json", cwd=clone.root))
    (clone.root / "src" / "app.py").write_text("changed\n", encoding="utf-8")
    (clone.root / "free.txt").write_text("free\n", encoding="utf-8")

    refused = user.coord("claim", "--from-worktree", cwd=clone.root)
    assert refused.returncode == 1
    assert f"src/app.py: held by sam (claim {held['claim_ids'][0]}, src/**)" in refused.stdout
    assert "Next:" in refused.stdout
    listed = _json(user.coord("claims", "--json", "-e", "alex", cwd=clone.root))
    assert listed["claims"] == []  # all or nothing: free.txt was not claimed either


def test_reconcile_reports_a_claim_whose_files_stopped_changing(own_service: Service) -> None:
    user = own_service.user
    clone = _wired(own_service, "idle")
    stale = _json(user.coord("claim", "docs/**", "--json", cwd=clone.root))["claim_ids"][0]
    busy = _json(user.coord("claim", "src/app.py", "--json", cwd=clone.root))["claim_ids"][0]
    (clone.root / "src" / "app.py").write_text("changed\n", encoding="utf-8")
    _backdate(own_service, user.home / "coordination.db", [stale, busy], hours=2)

    report = _json(user.coord("reconcile", "--json", "--idle", "30", cwd=clone.root))
    assert [claim["claim_id"] for claim in report["idle_claims"]] == [stale]
    (idle,) = report["idle_claims"]
    assert idle["idle_minutes"] >= 119 and idle["release"] == f"coord release {stale}"
    assert report["undeclared_edits"] == []
    text = user.coord("reconcile", cwd=clone.root).stdout
    assert f"{stale} docs/**: no change for" in text and f"Next: coord release {stale}" in text


def _backdate(service: Service, database: Path, claim_ids: list[str], hours: float) -> None:
    """Move claims' grant back in time: the service is stopped, edited, started again."""
    user = service.user
    assert user.coord("stop").returncode == 0
    with sqlite3.connect(database) as db:
        for claim_id in claim_ids:
            (created,) = db.execute(
                "SELECT created_at FROM claims WHERE id = ?", (claim_id,)
            ).fetchone()
            moved = datetime.strptime(created, SQLITE_TIME) - timedelta(hours=hours)
            db.execute("UPDATE claims SET created_at = ? WHERE id = ?",
                       (moved.strftime(SQLITE_TIME), claim_id))  # fmt: skip
    started = user.coord("start", "--background", "--port", str(service.port))
    assert started.returncode == 0, started.stderr
