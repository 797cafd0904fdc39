"""Reconciling a working tree with its claims (SPEC §16), as plain data in and out.

Two findings: undeclared edits (changed files no active claim of the engineer covers, with who
holds them if anyone) and idle claims (the engineer's claims whose files have not changed for a
while). Which claim covers which path is the service's answer (`POST /fences/check` with bare
paths), so no pattern is matched here; this module only plans those calls and reads the answers.

Only the standard library is used, and the service's answers are read as decoded JSON, so the
CLI, the MCP bridge and the git and agent hooks share it whatever HTTP client they use:

    state = read_worktree(top, now - timedelta(minutes=idle))      # coord_protocol.worktree
    verdicts = [v for body in fence_bodies(state, engineer, repo)
                for v in post("/fences/check", body)["verdicts"]]
    claims = get("/claims", repo=repo)["claims"]
    report = reconcile(state, verdicts, claims, engineer, now, idle)
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from coord_protocol.timestamps import format_utc
from coord_protocol.worktree import ChangedPath, WorktreeState

MAX_ENTRIES_PER_CALL = 1000
"""`POST /fences/check` takes at most this many entries (coord_protocol.fences)."""

DEFAULT_IDLE_MINUTES = 30
"""A claim whose files have not changed for this long is reported idle."""

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Holder:
    """Another engineer's claim covering a path."""

    engineer: str
    claim_id: str
    pattern: str


@dataclass(frozen=True, slots=True)
class UndeclaredEdit:
    """A changed file no active claim of the engineer covers."""

    path: str
    status: str
    """git's status letters (`M`, `A`, `D`, `??`, ...)."""
    held_by: tuple[Holder, ...]
    """Other engineers' claims covering it (empty: nobody holds it)."""
    fix: str
    """One command or step that settles it."""

    def line(self) -> str:
        """How a person reads it."""
        holders = ", ".join(f"{h.engineer} (claim {h.claim_id})" for h in self.held_by)
        held = f"held by {holders}" if holders else "nobody holds it"
        return f"{self.status:>2} {self.path}: no claim of yours covers it, {held}. Fix: {self.fix}"

    def to_json(self) -> dict[str, Any]:
        """The `--json` form."""
        held_by = [_holder_json(holder) for holder in self.held_by]
        return {"path": self.path, "status": self.status, "fix": self.fix, "held_by": held_by}


@dataclass(frozen=True, slots=True)
class IdleClaim:
    """A claim of the engineer whose files have not changed for the idle window."""

    claim_id: str
    pattern: str
    engineer: str
    last_change: datetime
    """The newest change of a file it covers, or its grant when none changed since."""
    idle_minutes: int
    files: tuple[str, ...]
    """Recently changed files it covers (empty: none changed in the window)."""
    release: str
    """The command that releases it."""

    def line(self) -> str:
        """How a person reads it."""
        return (f"{self.claim_id} {self.pattern}: no change for {self.idle_minutes} min. "
                f"Release: {self.release}")  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The `--json` form."""
        return {"claim_id": self.claim_id, "pattern": self.pattern, "engineer": self.engineer,
                "last_change": _utc(self.last_change), "idle_minutes": self.idle_minutes,
                "files": list(self.files), "release": self.release}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Both findings for one checkout and engineer."""

    engineer: str
    repo: str | None
    idle_after_minutes: int
    undeclared: tuple[UndeclaredEdit, ...] = ()
    idle: tuple[IdleClaim, ...] = ()
    changed: int = 0
    """How many changed paths were checked."""
    fixes: tuple[str, ...] = field(default=())
    """One command per finding kind, to settle all of it at once."""

    @property
    def clean(self) -> bool:
        """Nothing to report."""
        return not self.undeclared and not self.idle

    def lines(self) -> list[str]:
        """The report a person reads, one finding a line."""
        if self.clean:
            return [f"Clean: {self.changed} changed file(s), all under your claims; no idle claim."]
        found = [edit.line() for edit in self.undeclared] + [claim.line() for claim in self.idle]
        return found + [f"Next: {fix}" for fix in self.fixes]

    def to_json(self) -> dict[str, Any]:
        """The `--json` form."""
        return {"engineer": self.engineer, "repo": self.repo, "changed": self.changed,
                "idle_after_minutes": self.idle_after_minutes, "clean": self.clean,
                "undeclared_edits": [edit.to_json() for edit in self.undeclared],
                "idle_claims": [claim.to_json() for claim in self.idle],
                "fixes": list(self.fixes)}  # fmt: skip


def fence_bodies(state: WorktreeState, engineer: str, repo: str | None) -> Iterator[dict[str, Any]]:
    """Bodies of `POST /fences/check` asking who covers each recent path now, in chunks."""
    paths = state.recent_paths
    for start in range(0, len(paths), MAX_ENTRIES_PER_CALL):
        entries = [{"path": path} for path in paths[start : start + MAX_ENTRIES_PER_CALL]]
        body: dict[str, Any] = {"entries": entries, "engineer": engineer}
        if repo:
            body["repo"] = repo
        yield body


def adherence_bodies(report: Reconciliation) -> Iterator[dict[str, Any]]:
    """Bodies of `POST /adherence/reports` telling the service what `report` found (source
    `reconcile`), in chunks; a clean report is sent too (it adds nothing, and says the check
    ran). The service counts each undeclared file once, however often it is reported."""
    paths = [edit.path for edit in report.undeclared]
    for start in range(0, max(len(paths), 1), MAX_ENTRIES_PER_CALL):
        body: dict[str, Any] = {
            "source": "reconcile",
            "engineer": report.engineer,
            "undeclared": paths[start : start + MAX_ENTRIES_PER_CALL],
        }
        if report.repo:
            body["repo"] = report.repo
        yield body


def reconcile(
    state: WorktreeState,
    verdicts: Sequence[Json],
    claims: Sequence[Json],
    engineer: str,
    now: datetime,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
    repo: str | None = None,
) -> Reconciliation:
    """The findings, from the fence check's `verdicts` (for `state.recent_paths`, in order) and
    the repo's active `claims` (`GET /claims` rows)."""
    by_path = {str(verdict["path"]): verdict for verdict in verdicts}
    undeclared = tuple(_undeclared(entry, by_path) for entry in _unique(state.changed))
    undeclared_edits = tuple(edit for edit in undeclared if edit is not None)
    mine = [claim for claim in claims if _within(str(claim["engineer"]), engineer)]
    idle = tuple(_idle_claims(mine, by_path, state, now, idle_minutes))
    return Reconciliation(
        engineer=engineer, repo=repo, idle_after_minutes=idle_minutes,
        undeclared=undeclared_edits, idle=idle, changed=len(state.changed_paths),
        fixes=_fixes(undeclared_edits, idle),
    )  # fmt: skip


def _undeclared(entry: ChangedPath, by_path: Mapping[str, Json]) -> UndeclaredEdit | None:
    verdict = by_path.get(entry.path)
    if verdict is None or verdict.get("covering"):
        return None
    held_by = tuple(
        Holder(str(c["engineer"]), str(c["id"]), str(c["pattern"]))
        for c in verdict.get("held_by") or ()
    )
    return UndeclaredEdit(entry.path, entry.status, held_by, _edit_fix(entry.path, held_by))


def exact_pattern(path: str) -> str:
    """The claim pattern matching exactly the file `path` (docs/patterns.md: there is no escape
    character, so a literal `*`, `?` or `[` is a one-member class; a single segment would match
    at any depth, so a top-level file is anchored with a leading `/`)."""
    escaped = "".join(f"[{char}]" if char in "*?[" else char for char in path)
    return escaped if "/" in path else "/" + escaped


def _edit_fix(path: str, held_by: tuple[Holder, ...]) -> str:
    if not held_by:
        return f"coord claim {shlex.quote(exact_pattern(path))}"
    holder = held_by[0]
    return (f"ask {holder.engineer} to release claim {holder.claim_id}, or queue: "
            f"coord claim --wait 600 {shlex.quote(exact_pattern(path))}")  # fmt: skip


def _idle_claims(
    mine: Sequence[Json],
    by_path: Mapping[str, Json],
    state: WorktreeState,
    now: datetime,
    idle_minutes: int,
) -> Iterator[IdleClaim]:
    files: dict[str, list[str]] = {}
    for path, verdict in by_path.items():
        for claim in verdict.get("covering") or ():
            files.setdefault(str(claim["id"]), []).append(path)
    window = timedelta(minutes=idle_minutes)
    for claim in mine:
        claim_id = str(claim["id"])
        covered = files.get(claim_id, [])
        moments = [_parse_utc(str(claim["created_at"]))]
        moments += [state.last_change[path] for path in covered if path in state.last_change]
        last = max(moments)
        if now - last >= window:
            idle_for = int((now - last).total_seconds() // 60)
            yield IdleClaim(claim_id, str(claim["pattern"]), str(claim["engineer"]), last,
                            idle_for, tuple(covered), f"coord release {claim_id}")  # fmt: skip


def _fixes(undeclared: Sequence[UndeclaredEdit], idle: Sequence[IdleClaim]) -> tuple[str, ...]:
    fixes = []
    if any(not edit.held_by for edit in undeclared):
        fixes.append("coord claim --from-worktree  (claims the changed files none of yours cover)")
    if idle:
        fixes.append("coord release " + " ".join(claim.claim_id for claim in idle))
    return tuple(fixes)


def _unique(changed: Sequence[ChangedPath]) -> list[ChangedPath]:
    return list({entry.path: entry for entry in reversed(changed)}.values())[::-1]


def _within(engineer: str, namespace: str) -> bool:
    # The rule of per-engineer tokens (SPEC §13): `alex` owns `alex/claude/main`'s claims.
    return engineer == namespace or engineer.startswith(namespace.rstrip("/") + "/")


def _holder_json(holder: Holder) -> dict[str, str]:
    return {"engineer": holder.engineer, "claim_id": holder.claim_id, "pattern": holder.pattern}


def _parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _utc(moment: datetime) -> str:
    return format_utc(moment.replace(microsecond=0))
