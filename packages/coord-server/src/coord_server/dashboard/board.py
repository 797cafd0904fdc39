"""What the dashboard's panels show, read through the same services the HTTP API uses.

`Board.page(principal, query)` gathers every panel for one principal: an engineer token bound
to a repo sees that repo's rows only, and nothing of the service-wide webhook outbox.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from coord_engine.decide import shared_entry_for
from coord_engine.hotspots import AutoResolutionDay, Hotspot
from coord_protocol.outbox import OutboxDelivery, OutboxStats
from coord_protocol.queue import QueueEntry
from coord_protocol.requests import ReleaseRequest
from coord_protocol.vocab import SuggestedAction
from coord_server.auth import Principal
from coord_server.context import AppContext
from coord_server.dashboard.charts import BarChart, Heatmap, heatmap, hotspot_bars
from coord_server.service.records import ClaimRecord
from coord_server.storage import repo_key

PAGE_SIZE = 50
WINDOW_DAYS = 30
"""Hotspots and auto-resolutions cover this many days (SPEC §12)."""
HOTSPOT_ROWS = 25
CONFLICT_ROWS = 20
REQUEST_ROWS = 30
EXHAUSTED_ROWS = 20
STALE_AFTER = timedelta(minutes=15)
"""An engineer holding claims and silent this long is listed as stale."""
RANKING_FRESH = timedelta(minutes=1)

CHIPS = {
    SuggestedAction.SPLIT: "split into modules",
    SuggestedAction.SHARED_FILE: "promote to shared_file",
    SuggestedAction.MONITOR: "monitor",
}


EVERY_CLAIM = sys.maxsize
"""The claims panel pages itself: it reads them all (the status bar counts them)."""


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """The filters and page of the active-claims table."""

    repo: str | None = None
    engineer: str | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class StatusBar:
    """The line at the top."""

    version: str
    auth_mode: str
    active_claims: int
    blocked_now: int
    """Engineers with at least one request waiting in a queue."""
    queue_depth: int


@dataclass(frozen=True, slots=True)
class ClaimPage:
    """One page of active claims, and the choices of the filter form."""

    rows: Sequence[ClaimRecord]
    total: int
    page: int
    pages: int
    repos: Sequence[str]
    engineers: Sequence[str]
    filtered: bool


@dataclass(frozen=True, slots=True)
class QueueLine:
    """One repo's waiting entries, in service order."""

    repo: str | None
    entries: Sequence[QueueEntry]

    @property
    def head(self) -> QueueEntry:
        """The entry served next."""
        return self.entries[0]


@dataclass(frozen=True, slots=True)
class ConflictLine:
    """One refused claim attempt."""

    at: datetime
    repo: str | None
    pattern: str
    engineer: str
    holder_claim_id: str
    holder: str | None
    """Who holds the blocking claim, while it is still active."""


@dataclass(frozen=True, slots=True)
class HotspotLine:
    """A hotspot, the chip it shows and what the apply button would write."""

    spot: Hotspot
    chip: str
    chip_kind: str
    applied: str | None
    """`shared_file` or `split` once owners.yaml has the rule; then there is nothing to apply."""

    @property
    def apply_action(self) -> str | None:
        """The promote action the operator's button writes, if any."""
        if self.applied is not None or self.spot.suggested_action is SuggestedAction.MONITOR:
            return None
        return str(self.spot.suggested_action)


@dataclass(frozen=True, slots=True)
class StaleLine:
    """An engineer holding claims and not heard from lately."""

    engineer: str
    repos: Sequence[str]
    claims: int
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Webhooks:
    """Delivery counts of the last 24 h and the rows that gave up."""

    stats: OutboxStats
    exhausted: Sequence[OutboxDelivery]


@dataclass(frozen=True, slots=True)
class BoardPage:
    """Everything one render of the dashboard shows."""

    now: datetime
    principal: Principal
    status: StatusBar
    claims: ClaimPage
    requests: Sequence[ReleaseRequest]
    queues: Sequence[QueueLine]
    conflicts: Sequence[ConflictLine]
    hotspots: Sequence[HotspotLine]
    hotspot_chart: BarChart
    heatmap: Heatmap
    resolutions: int
    webhooks: Webhooks | None
    """None for engineers: the outbox spans every repo."""
    stale: Sequence[StaleLine]
    owners_shared: Sequence[str] = field(default_factory=tuple)


class RankingCache:
    """Hotspot rankings by repo scope, kept while no blocked attempt is stored.

    Ranking reads every blocked attempt of 30 days; a busy dashboard re-renders several times
    a second. A ranking stays in use until a newer attempt exists or `RANKING_FRESH` passes
    (the window slides, and attempts age out of it).
    """

    def __init__(self) -> None:
        self._rankings: dict[str | None, tuple[int, datetime, tuple[Hotspot, ...]]] = {}

    async def ranked(self, ctx: AppContext, repo: str | None) -> tuple[Hotspot, ...]:
        """The ranking of `repo` (every repo for None), read again only when it may differ."""
        newest = await ctx.store.hotspots.newest_blocked_id()
        now = ctx.clock()
        kept = self._rankings.get(repo)
        if kept is not None and kept[0] == newest and timedelta(0) <= now - kept[1] < RANKING_FRESH:
            return kept[2]
        ranking = await ctx.hotspots.ranked(WINDOW_DAYS, repo)
        self._rankings[repo] = (newest, now, ranking)
        return ranking


class Board:
    """Reads the panels of one dashboard render."""

    def __init__(self, ctx: AppContext, rankings: RankingCache) -> None:
        self.ctx = ctx
        self.rankings = rankings

    async def page(self, principal: Principal, query: BoardQuery) -> BoardPage:
        """Every panel, as `principal` may see it."""
        ctx = self.ctx
        now = ctx.clock()
        scope = principal.repo
        everything = await ctx.holdings.active({}, None, None, EVERY_CLAIM)
        held = [r for r in everything.rows if principal.sees(r.repo)]
        queue = await ctx.desk.listing(None, scope)
        hotspots = await self.rankings.ranked(ctx, scope)
        series = await ctx.hotspots.auto_resolutions(WINDOW_DAYS, scope)
        return BoardPage(
            now=now,
            principal=principal,
            status=self._status(held, queue),
            claims=_claim_page(held, query),
            requests=await self._requests(principal),
            queues=_queues(queue),
            conflicts=await self._conflicts(scope, held),
            hotspots=self._hotspot_lines(hotspots),
            hotspot_chart=hotspot_bars(hotspots),
            heatmap=heatmap(series, now.astimezone(UTC).date(), WINDOW_DAYS),
            resolutions=_resolutions(series),
            webhooks=await self._webhooks() if principal.is_operator else None,
            stale=await self._stale(held, now),
            owners_shared=tuple(e.pattern for e in ctx.ownership.config.shared_files),
        )

    def _status(self, held: Sequence[ClaimRecord], queue: Sequence[QueueEntry]) -> StatusBar:
        return StatusBar(
            version=self.ctx.version,
            auth_mode=self.ctx.settings.auth_mode,
            active_claims=len(held),
            blocked_now=len({entry.requester_engineer for entry in queue}),
            queue_depth=len(queue),
        )

    async def _requests(self, principal: Principal) -> list[ReleaseRequest]:
        filters = {"repo": principal.repo} if principal.repo else {}
        page = (None, REQUEST_ROWS)
        return (await self.ctx.requests.listing(filters, None, page, principal.actor(None))).rows

    async def _conflicts(self, repo: str | None, held: Sequence[ClaimRecord]) -> list[ConflictLine]:
        stored = None if repo is None else repo_key(repo)
        rows = await self.ctx.store.hotspots.recent_blocked(CONFLICT_ROWS, stored)
        holders = {record.id: record.engineer for record in held}
        return [
            ConflictLine(
                at=row["at"],
                repo=row["repo"] or None,
                pattern=row["pattern"],
                engineer=row["engineer"],
                holder_claim_id=row["holder_claim_id"],
                holder=holders.get(row["holder_claim_id"]),
            )
            for row in rows
        ]

    def _hotspot_lines(self, hotspots: Sequence[Hotspot]) -> list[HotspotLine]:
        ownership = self.ctx.ownership
        policy = ownership.policy.policy
        splits = {split.pattern for split in ownership.config.suggested_splits}
        lines = []
        for spot in hotspots[:HOTSPOT_ROWS]:
            applied = None
            if shared_entry_for(spot.pattern, policy) is not None:
                applied = "shared_file"
            elif spot.pattern in splits:
                applied = "split"
            lines.append(_line(spot, applied))
        return lines

    async def _webhooks(self) -> Webhooks:
        outbox = self.ctx.outbox
        return Webhooks(await outbox.stats(), await outbox.tail(EXHAUSTED_ROWS, "exhausted"))

    async def _stale(self, held: Sequence[ClaimRecord], now: datetime) -> list[StaleLine]:
        seen = await self.ctx.sessions.activity(r.session_id for r in held if r.session_id)
        latest: dict[str, datetime] = {}
        repos: dict[str, set[str]] = {}
        counts: dict[str, int] = {}
        for record in held:
            heard = seen.get(record.session_id or "") or record.last_activity or record.created_at
            latest[record.engineer] = max(heard, latest.get(record.engineer, heard))
            repos.setdefault(record.engineer, set()).add(record.repo or "")
            counts[record.engineer] = counts.get(record.engineer, 0) + 1
        stale = [
            StaleLine(engineer, sorted(repos[engineer]), counts[engineer], last)
            for engineer, last in latest.items()
            if now - last >= STALE_AFTER
        ]
        return sorted(stale, key=lambda line: line.last_seen)


def _line(spot: Hotspot, applied: str | None) -> HotspotLine:
    if applied == "shared_file":
        return HotspotLine(spot, "shared_file (applied)", "applied", applied)
    if applied == "split":
        return HotspotLine(spot, "split suggested (applied)", "applied", applied)
    return HotspotLine(spot, CHIPS[spot.suggested_action], str(spot.suggested_action), None)


def _claim_page(held: Sequence[ClaimRecord], query: BoardQuery) -> ClaimPage:
    rows = [
        record
        for record in held
        if (query.repo is None or (record.repo or "") == query.repo)
        and (query.engineer is None or record.engineer == query.engineer)
    ]
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(1, query.page), pages)
    start = (page - 1) * PAGE_SIZE
    return ClaimPage(
        rows=rows[start : start + PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        repos=sorted({record.repo or "" for record in held}),
        engineers=sorted({record.engineer for record in held}),
        filtered=query.repo is not None or query.engineer is not None,
    )


def _queues(entries: Sequence[QueueEntry]) -> list[QueueLine]:
    by_repo: dict[str | None, list[QueueEntry]] = {}
    for entry in entries:
        by_repo.setdefault(entry.repo, []).append(entry)
    return [QueueLine(repo, sorted(rows, key=lambda e: e.position)) for repo, rows in
            sorted(by_repo.items(), key=lambda item: item[0] or "")]  # fmt: skip


def _resolutions(series: Sequence[AutoResolutionDay]) -> int:
    return sum(day.auto_coexist + day.auto_narrow for day in series)
