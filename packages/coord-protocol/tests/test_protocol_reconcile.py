"""Working-tree reconciliation as data: git's output parsed, findings from the service's answers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coord_protocol.adherence import AdherenceReport
from coord_protocol.reconcile import (
    MAX_ENTRIES_PER_CALL,
    Reconciliation,
    UndeclaredEdit,
    adherence_bodies,
    exact_pattern,
    fence_bodies,
    reconcile,
)
from coord_protocol.worktree import ChangedPath, WorktreeState, parse_log_z, parse_porcelain_z

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_porcelain_z_entries_renames_and_odd_names() -> None:
    output = " M src/a.ts\0A  new file.txt\0R  to.ts\0from.ts\0?? dir/[id].tsx\0 D gone\0"
    parsed = parse_porcelain_z(output)
    assert parsed == [
        ChangedPath("src/a.ts", " ", "M"),
        ChangedPath("new file.txt", "A", " "),
        ChangedPath("to.ts", "R", " ", "from.ts"),
        ChangedPath("dir/[id].tsx", "?", "?"),
        ChangedPath("gone", " ", "D"),
    ]
    assert [p.status for p in parsed] == ["M", "A", "R", "??", "D"]
    assert parsed[4].deleted and not parsed[0].deleted
    assert parse_porcelain_z("") == []


def test_log_z_keeps_each_paths_newest_commit() -> None:
    mark = "\x1ecoord-commit "
    output = f"{mark}200\nsrc/a.ts\0src/b.ts\0\0{mark}100\nsrc/a.ts\0c.txt\0"
    parsed = parse_log_z(output)
    assert parsed == {
        "src/a.ts": datetime.fromtimestamp(200, UTC),
        "src/b.ts": datetime.fromtimestamp(200, UTC),
        "c.txt": datetime.fromtimestamp(100, UTC),
    }


@pytest.mark.parametrize(
    ("path", "pattern"),
    [("src/a.ts", "src/a.ts"), ("README.md", "/README.md"), ("app/[id]/page.tsx",
     "app/[[]id]/page.tsx"), ("what?.md", "/what[?].md"), ("a/*.py", "a/[*].py")],
)  # fmt: skip
def test_exact_pattern_names_one_file(path: str, pattern: str) -> None:
    assert exact_pattern(path) == pattern


def _claim(claim_id: str, engineer: str, pattern: str, minutes_ago: float) -> dict[str, Any]:
    created = NOW - timedelta(minutes=minutes_ago)
    return {"id": claim_id, "engineer": engineer, "pattern": pattern,
            "created_at": created.isoformat().replace("+00:00", "Z")}  # fmt: skip


def _verdict(
    path: str, covering: Sequence[Any] = (), held_by: Sequence[Any] = ()
) -> dict[str, Any]:
    return {"path": path, "covering": list(covering), "held_by": list(held_by)}


def test_findings_from_the_answers() -> None:
    mine_busy = _claim("c1", "alex/claude/main", "src/a.ts", 90)
    mine_idle = _claim("c2", "alex", "docs/**", 45)
    mine_fresh = _claim("c3", "alex", "lib/**", 5)
    theirs = _claim("c9", "sam", "src/b.ts", 10)
    state = WorktreeState(
        Path("."),
        (ChangedPath("src/a.ts", " ", "M"), ChangedPath("src/b.ts", " ", "M"),
         ChangedPath("new.txt", "?", "?")),
        {"src/a.ts": NOW - timedelta(minutes=2), "src/b.ts": NOW, "new.txt": NOW},
    )  # fmt: skip
    verdicts = [_verdict("src/a.ts", [mine_busy]), _verdict("src/b.ts", held_by=[theirs]),
                _verdict("new.txt")]  # fmt: skip
    claims = [mine_busy, mine_idle, mine_fresh, theirs]
    report = reconcile(state, verdicts, claims, "alex", NOW, 30, repo="acme/web")
    assert [edit.path for edit in report.undeclared] == ["src/b.ts", "new.txt"]
    held, free = report.undeclared
    assert [h.engineer for h in held.held_by] == ["sam"] and free.held_by == ()
    assert free.fix == "coord claim /new.txt"
    assert "ask sam to release claim c9" in held.fix
    assert [claim.claim_id for claim in report.idle] == ["c2"]
    assert report.idle[0].idle_minutes == 45 and report.idle[0].release == "coord release c2"
    assert report.fixes[-1] == "coord release c2"
    as_json = report.to_json()
    assert as_json["undeclared_edits"][0]["held_by"][0]["claim_id"] == "c9"
    assert as_json["idle_claims"][0]["last_change"] == "2026-11-24T11:15:00Z"
    assert not report.clean and len(report.lines()) == 3 + len(report.fixes)


def test_a_claim_whose_file_changed_long_ago_is_idle() -> None:
    claim = _claim("c1", "alex", "src/a.ts", 120)
    state = WorktreeState(Path("."), (ChangedPath("src/a.ts", " ", "M"),),
                          {"src/a.ts": NOW - timedelta(minutes=40)})  # fmt: skip
    report = reconcile(state, [_verdict("src/a.ts", [claim])], [claim], "alex", NOW, 30)
    assert report.undeclared == ()
    assert [(c.claim_id, c.idle_minutes, c.files) for c in report.idle] == [
        ("c1", 40, ("src/a.ts",))
    ]
    assert reconcile(state, [_verdict("src/a.ts", [claim])], [claim], "alex", NOW, 60).clean


def test_bodies_come_in_chunks_the_service_accepts() -> None:
    paths = tuple(ChangedPath(f"f{i}.txt", "?", "?") for i in range(MAX_ENTRIES_PER_CALL + 5))
    bodies = list(fence_bodies(WorktreeState(Path("."), paths), "alex", "acme/web"))
    assert [len(body["entries"]) for body in bodies] == [MAX_ENTRIES_PER_CALL, 5]
    assert bodies[1]["entries"][-1] == {"path": f"f{MAX_ENTRIES_PER_CALL + 4}.txt"}
    assert bodies[0]["repo"] == "acme/web" and bodies[0]["engineer"] == "alex"


def test_adherence_reports_carry_the_undeclared_paths_in_chunks() -> None:
    edits = tuple(
        UndeclaredEdit(f"f{i}.txt", "??", (), "x") for i in range(MAX_ENTRIES_PER_CALL + 1)
    )
    report = Reconciliation("alex", "acme/web", 30, undeclared=edits)
    bodies = list(adherence_bodies(report))
    assert [len(body["undeclared"]) for body in bodies] == [MAX_ENTRIES_PER_CALL, 1]
    assert {(b["source"], b["engineer"], b["repo"]) for b in bodies} == {
        ("reconcile", "alex", "acme/web")
    }
    assert [AdherenceReport.model_validate(body).source for body in bodies] == ["reconcile"] * 2
    clean = list(adherence_bodies(Reconciliation("alex", None, 30)))
    assert clean == [{"source": "reconcile", "engineer": "alex", "undeclared": []}]


def test_reconciling_loads_neither_pydantic_nor_httpx() -> None:
    probe = (
        "import sys, coord_protocol.reconcile, coord_protocol.worktree\n"
        "print(sorted(m for m in ('pydantic', 'httpx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
