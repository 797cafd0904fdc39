from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta

from coord_engine.claims import ClaimRequest
from coord_engine.decide import Decision, shared_entry_for
from coord_engine.hotspots import (
    AutoResolutionDay,
    BlockedAttempt,
    Hotspot,
    PatternCount,
    ResolutionEvent,
    auto_promote_due,
    auto_resolution_series,
    demote_due,
    rank_hotspots,
)
from coord_engine.overlap import covers
from coord_engine.owners import OwnersConfig, OwnersError, parse_owners
from coord_engine.owners_edit import (
    OwnersEditError,
    collapse_subtree,
    demote_shared_file,
    promote_shared_file,
    promote_split,
)
from coord_engine.patterns import PatternError, normalize_pattern
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import EventType, PromoteAction
from coord_server.service.arbiter import Unit
from coord_server.service.changes import Changes
from coord_server.service.events import EventBatch
from coord_server.service.ownership import Ownership, invalid_ownership
from coord_server.settings import Settings
from coord_server.storage import Row, Store, repo_key

logger = logging.getLogger("coord.hotspots")

RESOLUTION_EVENTS = (str(EventType.AUTO_COEXIST), str(EventType.AUTO_NARROW))

Clock = Callable[[], datetime]


class Hotspots:
    """Hotspot reports, promotion (by hand and automatic) and the demote sweep."""

    def __init__(
        self, store: Store, ownership: Ownership, settings: Settings, clock: Clock
    ) -> None:
        self.store = store
        self.ownership = ownership
        self.settings = settings
        self.clock = clock

    # -- signals, written with the change -------------------------------------------------

    async def write_signals(self, unit: Unit) -> None:
        """A step before the commit: blocked attempts of refusals, contention of shared grants."""
        refusals = unit.changes.refused
        blocked = [row for r in refusals for row in _blocked_rows(r.request, r.decision, unit.now)]
        await self.store.hotspots.insert_blocked(unit.tx, blocked)
        contention = [
            {"repo": repo_key(granted.request.repo), "pattern": record.pattern,
             "engineer": granted.request.engineer, "at": record.created_at}
            for granted in unit.changes.granted
            for grant, record in zip(granted.decision.grants, granted.records, strict=True)
            if grant.shared and grant.shared_with
        ]  # fmt: skip
        await self.store.hotspots.insert_contention(unit.tx, contention)

    # -- reports --------------------------------------------------------------------------

    async def ranked(self, days: int, repo: str | None) -> tuple[Hotspot, ...]:
        """Patterns by blocked attempts in the last `days` (of one repo when given)."""
        now = self.clock()
        rows = await self.store.hotspots.blocked_since(now - timedelta(days=days), _stored(repo))
        return rank_hotspots(_attempts(rows), now=now, days=days)

    async def auto_resolutions(self, days: int, repo: str | None) -> tuple[AutoResolutionDay, ...]:
        """Daily auto-coexist / auto-narrow counts per repo for the last `days` UTC days."""
        now = self.clock()
        first_day = now.astimezone(UTC).date() - timedelta(days=days - 1)
        since = datetime.combine(first_day, time(), tzinfo=UTC)
        rows = await self.store.events.since(RESOLUTION_EVENTS, since, _stored(repo))
        events = [
            ResolutionEvent(row["repo"] or None, EventType(row["event_type"]), row["at"])
            for row in rows
        ]
        return auto_resolution_series(events, now=now, days=days)

    # -- promotion by hand ----------------------------------------------------------------

    async def promote(
        self, action: PromoteAction, pattern: str, note: str | None, repo: str | None
    ) -> tuple[bool, str]:
        """Write the rule an operator chose; returns (changed, canonical pattern). Idempotent."""
        now = self.clock()
        text = self.ownership.text
        if action is PromoteAction.SHARED_FILE:
            edited = _edit(lambda: promote_shared_file(text, pattern, today=now.date(),
                                                       auto=False, note=note))  # fmt: skip
        else:
            edited = _edit(lambda: promote_split(text, pattern, now=now, note=note))
        canonical = normalize_pattern(pattern)  # the edit accepted it, so this cannot fail
        if edited == text:
            return False, canonical

        def announce(unit: Unit) -> None:
            unit.events.add(EventType.AUTO_PROMOTE, repo, None, pattern=canonical,
                            action=str(action), trigger="operator", note=note)  # fmt: skip

        await self.ownership.replace(edited, parse_owners(edited), f"promote-{action}", announce)
        return True, canonical

    # -- hard auto-promote ----------------------------------------------------------------

    async def auto_promote(self, changes: Changes, _events: Sequence[Row]) -> None:
        """After a commit: promote the refused files that reached the threshold."""
        if self.settings.auto_promote_threshold <= 0:
            return
        for refused in changes.refused:
            await self._refused(refused.request, refused.decision)

    async def _refused(self, request: ClaimRequest, decision: Decision) -> None:
        threshold = self.settings.auto_promote_threshold
        patterns = sorted({conflict.item.pattern for conflict in decision.conflicts})
        now = self.clock()
        window = self.settings.auto_promote_window_days
        since = now - timedelta(days=window)
        rows = await self.store.hotspots.blocked_since(since, repo_key(request.repo), patterns)
        due = auto_promote_due(_attempts(rows), threshold=threshold, window_days=window, now=now)
        policy = self.ownership.policy.policy
        fresh = [c for c in due if shared_entry_for(c.pattern, policy) is None]
        if fresh:
            await self._auto_promote(request.repo, fresh, now)

    async def _auto_promote(self, repo: str | None, due: list[PatternCount], now: datetime) -> None:
        text = self.ownership.text
        try:
            for count in due:
                text = promote_shared_file(text, count.pattern, today=now.date(), auto=True)
        except (OwnersEditError, OwnersError, PatternError):
            # A refusal must still be answered; the operator sees why in the log.
            logger.warning("auto-promote of %s skipped", [c.pattern for c in due], exc_info=True)
            return
        promoted = parse_owners(text)
        collapsed = self._collapsed(text, now)
        config = parse_owners(collapsed)
        events = EventBatch(now)
        for count in due:
            events.add(EventType.AUTO_PROMOTE, repo, None, pattern=count.pattern,
                       action=str(PromoteAction.SHARED_FILE), trigger="threshold",
                       attempts=count.attempts, threshold=self.settings.auto_promote_threshold,
                       window_days=self.settings.auto_promote_window_days)  # fmt: skip
        for subtree, replaced in _subtrees(promoted, config):
            events.add(EventType.AUTO_PROMOTE, repo, None, pattern=subtree,
                       action=str(PromoteAction.SHARED_FILE), trigger="subtree",
                       replaced=replaced)  # fmt: skip
        await self.ownership.replace(collapsed, config, "auto-promote", _announcing(events))

    def _collapsed(self, text: str, now: datetime) -> str:
        minimum = self.settings.auto_promote_subtree_min_files
        try:
            return collapse_subtree(text, min_files=minimum, today=now.date())
        except (OwnersEditError, OwnersError):
            logger.warning("subtree collapse skipped; the promoted entries stay", exc_info=True)
            return text

    # -- auto-demote ----------------------------------------------------------------------

    async def demote_sweep(self) -> list[str]:
        """Remove the auto-promoted, unpinned entries that stayed quiet; returns their patterns."""
        threshold = self.settings.auto_promote_threshold
        entries = [e for e in self.ownership.config.shared_files if e.demotable]
        if threshold <= 0 or not entries:
            return []
        now = self.clock()
        promote_days = self.settings.auto_promote_window_days
        demote_days = self.settings.auto_demote_window_days
        since = now - timedelta(days=promote_days + demote_days)
        rows = [*await self.store.hotspots.blocked_since(since),
                *await self.store.hotspots.contention_since(since)]  # fmt: skip
        due = demote_due(entries, _attempts(rows), threshold=threshold,
                         promote_window_days=promote_days, demote_window_days=demote_days,
                         now=now)  # fmt: skip
        text = self.ownership.text
        removed = []
        for entry in due:
            try:
                edited = demote_shared_file(text, entry.pattern)
            except OwnersEditError:
                logger.warning("auto-demote of %s skipped", entry.pattern, exc_info=True)
                continue
            if edited != text:
                text = edited
                removed.append(entry)
        if not removed:
            return []
        events = EventBatch(now)
        for entry in removed:
            promoted_on = entry.auto_promoted.isoformat() if entry.auto_promoted else None
            events.add(EventType.AUTO_DEMOTE, None, None, pattern=entry.pattern,
                       auto_promoted=promoted_on, threshold=threshold,
                       quiet_days=demote_days)  # fmt: skip
        await self.ownership.replace(text, parse_owners(text), "auto-demote", _announcing(events))
        return [entry.pattern for entry in removed]


def _announcing(events: EventBatch) -> Callable[[Unit], None]:
    """An announcer that adds prepared events to the unit storing the revision."""

    def announce(unit: Unit) -> None:
        unit.events.rows.extend(events.rows)

    return announce


def _blocked_rows(request: ClaimRequest, decision: Decision, now: datetime) -> list[Row]:
    """One blocked attempt per conflict: the hotspot signal."""
    return [
        {
            "repo": repo_key(request.repo),
            "pattern": conflict.item.pattern,
            "engineer": request.engineer,
            "holder_claim_id": conflict.holder.id,
            "at": now,
        }
        for conflict in decision.conflicts
    ]


def _edit(edit: Callable[[], str]) -> str:
    """Run an owners.yaml edit; its refusals become 400 answers that say what to change."""
    try:
        return edit()
    except PatternError as exc:
        raise CoordError(
            ErrorCode.INVALID_PATTERN, exc.message, pattern=exc.pattern, rule=exc.rule
        ) from None
    except OwnersError as exc:
        raise invalid_ownership(exc) from None
    except OwnersEditError as exc:
        raise CoordError(ErrorCode.INVALID_OWNERSHIP, str(exc)) from None


def _subtrees(before: OwnersConfig, after: OwnersConfig) -> list[tuple[str, list[str]]]:
    """Entries a collapse added, each with the file entries it replaced."""
    old = set(before.shared_patterns())
    new = set(after.shared_patterns())
    gone = sorted(old - new)
    return [
        (subtree, [pattern for pattern in gone if covers(subtree, pattern)])
        for subtree in after.shared_patterns()
        if subtree not in old
    ]


def _attempts(rows: list[Row]) -> list[BlockedAttempt]:
    """One attempt per refused request and pattern: a refusal writes a row per claim in its way."""
    unique = {(row["repo"], row["pattern"], row["engineer"], row["at"]) for row in rows}
    return [
        BlockedAttempt(repo or None, pattern, engineer, at)
        for repo, pattern, engineer, at in unique
    ]


def _stored(repo: str | None) -> str | None:
    """A repo filter as stored (None: every repo)."""
    return None if repo is None else repo_key(repo)
