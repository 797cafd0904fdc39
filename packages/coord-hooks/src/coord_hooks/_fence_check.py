"""Were the pushed commits made under valid claims? The question pre-push and CI ask (SPEC §16).

Every path a commit changed goes to `POST /fences/check` once per `Coord-Claim` trailer of the
commit, and once bare (which claims of the pusher cover it now). A path is in order when one of
its trailers is `valid` (the pusher's claim, covering it, still the newest grant), or when a claim
of the pusher covers it now and no trailer of the commit was fenced out by a grant newer than
that claim. Anything else is a finding, told in the service's own words (`detail`): "edited
without a claim", or "edited under claim X (fence 12), but Y has held an overlapping scope since
fence 15".

The bare question is asked about now, not about the commit's time: "claim it, then push again" is
one of the ways out, and it must work.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coord_hooks._git import Commit
from coord_hooks._http import HookClient
from coord_hooks._trailers import Trailer, parse_value
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.reconcile import MAX_ENTRIES_PER_CALL, exact_pattern

Verdict = Mapping[str, Any]
EntryKey = tuple[str, str | None, int | None]
"""A fence-check entry: path, and the trailer's claim id and fence (None, None: bare)."""

_GOOD = frozenset({"valid", "covered"})
_TELLING = ("not_yours", "fence_mismatch", "wrong_repo", "unknown_claim")
"""Trailer verdicts that say more than "edited without a claim" when nothing covers the path."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A changed path of a commit that was not edited under a valid claim."""

    commit: str
    """The commit's id."""
    path: str
    """The path it changed."""
    status: str
    """The fence check's verdict (`superseded`, `unclaimed`, `not_yours`, ...)."""
    detail: str
    """The service's one line: what was found and what to do."""
    claims: tuple[str, ...]
    """The claims the line names: the trailer's, then the newer grants."""


@dataclass(frozen=True, slots=True)
class FenceReport:
    """What the check of some commits found."""

    commits: int
    """Commits checked."""
    paths: int
    """(commit, path) pairs checked."""
    with_trailers: int
    """Commits carrying at least one `Coord-Claim` trailer."""
    findings: tuple[Finding, ...]
    """Pairs not edited under a valid claim, in commit order."""


MAX_REPORTED_COMMITS = 1000
"""Commits one adherence report may carry (the service's limit)."""


def check_commits(
    client: HookClient, engineer: str, repo: str | None, commits: Sequence[Commit]
) -> FenceReport:
    """Check every path of `commits` as `engineer`'s edits in `repo`."""
    trailers = {commit.id: _trailers(commit) for commit in commits}
    keys = list(dict.fromkeys(_entries(commits, trailers)))
    verdicts = _ask(client, engineer, repo, keys)
    findings = [
        finding
        for commit in commits
        for path in commit.paths
        if (finding := _judge(commit, path, trailers[commit.id], verdicts)) is not None
    ]
    return FenceReport(
        commits=len(commits),
        paths=sum(len(commit.paths) for commit in commits),
        with_trailers=sum(1 for commit in commits if trailers[commit.id]),
        findings=tuple(findings),
    )


def _trailers(commit: Commit) -> tuple[Trailer, ...]:
    parsed = (parse_value(value) for value in commit.trailers)
    return tuple(dict.fromkeys(trailer for trailer in parsed if trailer is not None))


def _entries(
    commits: Iterable[Commit], trailers: Mapping[str, tuple[Trailer, ...]]
) -> Iterable[EntryKey]:
    for commit in commits:
        for path in commit.paths:
            yield (path, None, None)
            for trailer in trailers[commit.id]:
                yield (path, trailer.claim_id, trailer.fence)


def _ask(
    client: HookClient, engineer: str, repo: str | None, keys: Sequence[EntryKey]
) -> dict[EntryKey, Verdict]:
    """One `POST /fences/check` per 1000 entries (the route's limit)."""
    found: dict[EntryKey, Verdict] = {}
    for start in range(0, len(keys), MAX_ENTRIES_PER_CALL):
        chunk = keys[start : start + MAX_ENTRIES_PER_CALL]
        body: dict[str, Any] = {"engineer": engineer, "entries": [_entry(key) for key in chunk]}
        if repo:
            body["repo"] = repo
        answer = client.post("/fences/check", body)
        verdicts = answer.get("verdicts") if isinstance(answer, dict) else None
        if not isinstance(verdicts, list) or len(verdicts) != len(chunk):
            raise CoordError(
                ErrorCode.INTERNAL,
                "POST /fences/check returned a body this client cannot read; check that client "
                "and server versions agree (`coord doctor`).",
            )
        found.update(zip(chunk, verdicts, strict=True))
    return found


def _entry(key: EntryKey) -> dict[str, Any]:
    path, claim_id, fence = key
    return {"path": path} if claim_id is None else {"path": path, "claim_id": claim_id,
                                                   "fence": fence}  # fmt: skip


def _judge(
    commit: Commit,
    path: str,
    trailers: Sequence[Trailer],
    verdicts: Mapping[EntryKey, Verdict],
) -> Finding | None:
    named = [verdicts[(path, t.claim_id, t.fence)] for t in trailers]
    bare = verdicts[(path, None, None)]
    if any(verdict.get("status") == "valid" for verdict in named):
        return None
    fenced_out = [verdict for verdict in named if verdict.get("status") == "superseded"]
    if fenced_out:
        newer = [_fence(claim) for v in fenced_out for claim in v.get("superseded_by") or ()]
        newest = max(newer, default=-1)
        if any(_fence(claim) > newest for claim in bare.get("covering") or ()):
            return None  # claimed again after the newer holder: the way out was taken
        return _finding(commit, path, fenced_out[0])
    if bare.get("status") in _GOOD:
        return None
    telling = [verdict for verdict in named if verdict.get("status") in _TELLING]
    return _finding(commit, path, telling[0] if telling else bare)


def _fence(claim: Any) -> int:
    fence = claim.get("fence") if isinstance(claim, dict) else None
    return fence if isinstance(fence, int) else -1


def _finding(commit: Commit, path: str, verdict: Verdict) -> Finding:
    named = verdict.get("claim") or {}
    newer = [*(verdict.get("superseded_by") or ()), *(verdict.get("held_by") or ())]
    ids = [claim.get("id") for claim in [named, *newer] if isinstance(claim, dict)]
    status = str(verdict.get("status") or "unclaimed")
    detail = str(verdict.get("detail") or "edited without a claim")
    if status == "unclaimed" and not verdict.get("held_by"):
        # The service's hint (`--from-worktree`) is for a working tree; this file is committed.
        detail = (
            f"edited without a claim: claim it (coord claim {shlex.quote(exact_pattern(path))})"
        )
    return Finding(
        commit=commit.id,
        path=path,
        status=status,
        detail=detail,
        claims=tuple(str(claim_id) for claim_id in dict.fromkeys(ids) if claim_id),
    )


def adherence_report(
    source: str, engineer: str, repo: str | None, commits: Sequence[Commit], report: FenceReport
) -> dict[str, Any]:
    """The body of `POST /adherence/reports` for what a push or CI check saw (SPEC §16): per
    commit, the files it changed, how many were under a valid claim, whether it had trailers."""
    missed: dict[str, set[str]] = {}
    for finding in report.findings:
        missed.setdefault(finding.commit, set()).add(finding.path)
    rows = [
        {
            "sha": commit.id,
            "files": len(set(commit.paths)),
            "covered": len(set(commit.paths) - missed.get(commit.id, set())),
            "trailers": bool(_trailers(commit)),
        }
        for commit in commits[:MAX_REPORTED_COMMITS]
    ]
    return {"source": source, "engineer": engineer, "repo": repo, "commits": rows}


def send_adherence(client: HookClient, body: dict[str, Any]) -> None:
    """Tell the service what the check saw; never in the way of the push (a refusal, an old
    service without the route, or a slow one changes nothing the hook says)."""
    if not body["commits"]:
        return
    with contextlib.suppress(CoordError):
        client.post("/adherence/reports", body)
