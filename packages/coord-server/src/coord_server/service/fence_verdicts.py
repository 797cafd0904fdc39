"""Verdicts of the fence check, computed from claims already read (no I/O here).

SPEC §16: per changed path and trailer, was the claim the caller's, does it cover the path, and has
a newer grant (a higher fence: fences number a repo's grants in order) covering the path gone to
someone else since. Without a trailer: which claims covered the path at a given moment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from coord_engine.index import ClaimIndex
from coord_engine.matching import matches
from coord_engine.symbol_paths import overlapping_symbols
from coord_protocol.fences import FenceClaim, FenceEntry, FenceVerdict
from coord_protocol.vocab import FenceStatus
from coord_server.auth.principal import within
from coord_server.service.records import ClaimRecord

INDEX_PREFIX_CHARS = 200
"""Longest run of leading directories used to find a path's candidate claims (a glob may hold
256 characters at most)."""

_PLAIN = re.compile(r"[A-Za-z0-9_.-]+")


class ClaimSet:
    """Claims read for one check, indexed so a path meets only the claims that could cover it."""

    def __init__(self, records: Iterable[ClaimRecord]) -> None:
        self.records = {record.id: record for record in records}
        self.index: ClaimIndex[str] = ClaimIndex()
        for record in self.records.values():
            self.index.add(record.id, record.pattern)

    def covering(self, path: str) -> list[ClaimRecord]:
        """Claims whose pattern matches `path`, lowest fence first."""
        found = [self.records[key] for key in self.index.candidates(_plain_dirs(path))]
        return sorted((r for r in found if matches(r.pattern, path)), key=lambda r: r.fence)


def _plain_dirs(path: str) -> str:
    """A pattern covering `path` for the index: its leading plain directories, then `**`.

    A path is no pattern: it may hold `[` or `*`, start with `#`, or be longer than a pattern may
    be. Only segments of plain characters are kept, as long as the glob stays short
    (`INDEX_PREFIX_CHARS`); candidates of a shorter prefix are a superset, and `matches` decides.
    """
    kept: list[str] = []
    length = 0
    for segment in path.split("/")[:-1]:
        length += len(segment) + 1
        if length > INDEX_PREFIX_CHARS or not _PLAIN.fullmatch(segment):
            break
        kept.append(segment)
    return "/".join([*kept, "**"])


@dataclass(frozen=True, slots=True)
class Judge:
    """Judges entries for one engineer in one repo."""

    engineer: str
    repo: str | None
    now: datetime

    def mine(self, record: ClaimRecord) -> bool:
        """A claim of the caller, or of an engineer beneath it (`alex` owns `alex/claude/a`)."""
        return within(record.engineer, self.engineer)

    def trailer(
        self, entry: FenceEntry, named: ClaimRecord | None, newer: ClaimSet
    ) -> FenceVerdict:
        """The verdict on a path edited under the trailer `entry` names."""
        claim_id, fence = entry.claim_id or "", entry.fence or 0
        shown = f"claim {claim_id} (fence {fence})"
        if named is None:
            unknown = f"edited under {shown}, which coord does not know (never granted, or purged)"
            return _verdict(entry, FenceStatus.UNKNOWN_CLAIM, unknown + ": claim the path again")
        base = _verdict(entry, FenceStatus.VALID, "", named)
        base.yours, base.covers = self.mine(named), matches(named.pattern, entry.path)
        finding = self._trailer_finding(entry, named, base, shown)
        if finding is not None:
            return finding
        base.superseded_by = [
            fence_claim(r) for r in newer.covering(entry.path) if self._supersedes(r, named, fence)
        ]
        if base.superseded_by:
            first = base.superseded_by[0]
            base.status = FenceStatus.SUPERSEDED
            base.detail = (f"edited under {shown}, but {first.engineer} has held an overlapping "
                           f"scope since fence {first.fence} (claim {first.id}): rebase onto "
                           "their work, or ask them before pushing")  # fmt: skip
            return base
        base.detail = f"edited under {shown}, still the newest grant for this path"
        return base

    def _trailer_finding(
        self, entry: FenceEntry, named: ClaimRecord, base: FenceVerdict, shown: str
    ) -> FenceVerdict | None:
        if (named.repo or None) != (self.repo or None):
            where = f"repo {named.repo or '(none)'!r}, not {self.repo or '(none)'!r}"
            return _finding(base, FenceStatus.WRONG_REPO, f"{shown} is in {where}")
        if not base.yours:
            whose = f"{named.engineer}, not {self.engineer}"
            return _finding(base, FenceStatus.NOT_YOURS, f"{shown} was granted to {whose}: "
                            "claim the path yourself")  # fmt: skip
        if (entry.fence or 0) > named.fence:
            return _finding(base, FenceStatus.FENCE_MISMATCH, f"{shown}: that claim's fence is "
                            f"{named.fence}, so coord did not write this trailer")  # fmt: skip
        if not base.covers:
            held = f"holds {named.pattern!r}, which does not cover {entry.path}"
            return _finding(base, FenceStatus.NOT_COVERED, f"{shown} {held}: claim it too")
        return None

    def _supersedes(self, other: ClaimRecord, named: ClaimRecord, fence: int) -> bool:
        # Shared claims never exclude anyone, and the caller's own agents never fence it out.
        if other.id == named.id or other.fence <= fence or other.shared or self.mine(other):
            return False
        return _symbols_meet(named, other)

    def bare(self, entry: FenceEntry, held: ClaimSet) -> FenceVerdict:
        """The verdict on a path sent without a trailer: who held it at `entry.at` (or now)."""
        moment = entry.at or self.now
        live = [r for r in held.covering(entry.path) if _held_at(r, moment)]
        verdict = _verdict(entry, FenceStatus.UNCLAIMED, "")
        verdict.at = moment
        verdict.covering = [fence_claim(r) for r in live if self.mine(r)]
        verdict.held_by = [fence_claim(r) for r in live if not self.mine(r)]
        if verdict.covering:
            first = verdict.covering[0]
            verdict.status = FenceStatus.COVERED
            verdict.detail = f"covered by claim {first.id} ({first.pattern}, fence {first.fence})"
            return verdict
        verdict.detail = "edited without a claim" + _holders(verdict.held_by)
        return verdict


def fence_claim(record: ClaimRecord) -> FenceClaim:
    """How the fence check shows a claim."""
    return FenceClaim(
        id=record.id, engineer=record.engineer, pattern=record.pattern,
        symbols=list(record.symbols) if record.symbols is not None else None,
        fence=record.fence, repo=record.repo, session_id=record.session_id, shared=record.shared,
        created_at=record.created_at, expires_at=record.expires_at,
        released_at=record.released_at,
    )  # fmt: skip


def _verdict(
    entry: FenceEntry, status: FenceStatus, detail: str, named: ClaimRecord | None = None
) -> FenceVerdict:
    return FenceVerdict(
        path=entry.path, claim_id=entry.claim_id, fence=entry.fence, status=status,
        detail=detail, claim=fence_claim(named) if named is not None else None,
    )  # fmt: skip


def _finding(base: FenceVerdict, status: FenceStatus, detail: str) -> FenceVerdict:
    base.status, base.detail = status, detail
    return base


def _held_at(record: ClaimRecord, moment: datetime) -> bool:
    ended = record.released_at or record.expires_at
    return record.created_at <= moment < ended


def _symbols_meet(a: ClaimRecord, b: ClaimRecord) -> bool:
    """Two claims covering one path collide unless both hold only disjoint symbols in it."""
    if a.symbols is None or b.symbols is None:
        return True
    return bool(overlapping_symbols(a.symbols, b.symbols))


def _holders(held_by: list[FenceClaim]) -> str:
    if not held_by:
        return ": claim it (`coord claim --from-worktree`)"
    names = ", ".join(dict.fromkeys(f"{c.engineer} (claim {c.id})" for c in held_by))
    return f"; held by {names}: ask them, or queue for it (`coord claim --wait`)"
