"""The claim book: grants, releases and edits of claims, each inside a unit (SPEC §4).

Every function takes the unit that holds the claim's repo: it writes the rows in the unit's
transaction, patches the unit's view, adds the events, and notes what changed for the steps
around the commit. Nothing here commits; the unit does, all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from coord_engine.budget import REQUEST_STEPS, Work
from coord_engine.claims import ClaimRequest
from coord_engine.decide import Decision, Grant, decide
from coord_engine.patterns import PatternTooComplex
from coord_protocol.vocab import EventType
from coord_server.service.arbiter import Unit
from coord_server.service.changes import Granted, Refused, Released
from coord_server.service.convert import engine_errors
from coord_server.service.events import EventBatch
from coord_server.service.policy import PolicyHolder
from coord_server.service.records import ClaimRecord, GrantContext, new_id
from coord_server.service.view import RepoView
from coord_server.service.work_rate import WorkRate
from coord_server.storage import Store, repo_key


class ClaimBook:
    """Claims in units: deciding, granting, releasing, changing."""

    def __init__(self, store: Store, policy: PolicyHolder) -> None:
        self.store = store
        self.policy = policy
        self.work_rate = WorkRate()

    async def decide(
        self,
        unit: Unit,
        request: ClaimRequest,
        exclude_sessions: Iterable[str] = (),
        exclude_ids: Iterable[str] = (),
        metered: bool = False,
    ) -> Decision:
        """The engine's decision against the unit's view of the request's repo, right now."""
        await self.policy.ensure(unit.owners_revision)
        return self.decide_on(unit.view(request.repo), request, unit.now, exclude_sessions,
                              exclude_ids, metered)  # fmt: skip

    def decide_on(
        self,
        view: RepoView,
        request: ClaimRequest,
        now: datetime,
        exclude_sessions: Iterable[str] = (),
        exclude_ids: Iterable[str] = (),
        metered: bool = False,
    ) -> Decision:
        """The decision against `view` as it is (a read: nothing is held, nothing changes).

        `metered` draws the engine's work from the engineer's `work_rate` bucket (requests a
        client makes; never background decisions such as serving the queue)."""
        limit = self.work_rate.allowance(request.engineer, now) if metered else REQUEST_STEPS
        work = Work(limit=limit)
        try:
            with engine_errors():
                try:
                    return self._decide_within(view, request, now, exclude_sessions,
                                               exclude_ids, work)  # fmt: skip
                except PatternTooComplex as exc:
                    if metered and exc.request_bound and limit < REQUEST_STEPS:
                        # The engineer's bucket ran out, not the request's own total.
                        raise self.work_rate.refusal(request.engineer, limit - work.total) from None
                    raise
        finally:
            if metered:
                self.work_rate.charge(request.engineer, work.total, now)

    def _decide_within(
        self,
        view: RepoView,
        request: ClaimRequest,
        now: datetime,
        exclude_sessions: Iterable[str],
        exclude_ids: Iterable[str],
        work: Work,
    ) -> Decision:
        candidates = view.candidates(item.pattern for item in request.items)
        excluded_sessions, excluded_ids = set(exclude_sessions), set(exclude_ids)
        if excluded_sessions or excluded_ids:
            candidates = [
                claim
                for claim in candidates
                if claim.session_id not in excluded_sessions and claim.id not in excluded_ids
            ]
        return decide(request, candidates, self.policy.policy, now, work)

    async def grant(
        self, unit: Unit, request: ClaimRequest, decision: Decision, context: GrantContext
    ) -> list[ClaimRecord]:
        """Store a granted decision, cross-reference its partners, and note it."""
        view = unit.view(request.repo)
        records = [
            _record(request, grant, context, unit.now, unit.next_fence(view))
            for grant in decision.grants
        ]
        await self.store.claims.insert(unit.tx, [record.to_row() for record in records])
        await self._link_partners(unit, view, _partner_links(decision.grants, records))
        for grant, record in zip(decision.grants, records, strict=True):
            view.add(record)
            _grant_events(unit.events, grant, record, context)
            unit.changes.deadlines.append(record.expires_at)
        unit.changes.granted.append(Granted(request, decision, records))
        return records

    async def _link_partners(self, unit: Unit, view: RepoView, links: dict[str, list[str]]) -> None:
        """Add the new grants to their partners' `coexists_with`, in one batch of updates.

        Partners that ended are dropped from the lists as they are rewritten, so a long-lived
        claim on a hot file lists the claims beside it now, not every claim it ever met.
        """
        if not links:
            return
        partners: dict[str, list[str]] = {}
        for partner_id, new_ids in links.items():
            partner = view.claims[partner_id]
            kept = [claim_id for claim_id in partner.coexists_with if claim_id in view.claims]
            partner.coexists_with = [*kept, *new_ids]
            partners[partner_id] = partner.coexists_with
        await self.store.claims.set_partners(unit.tx, view.key, partners)

    def refuse(self, unit: Unit, request: ClaimRequest, decision: Decision) -> None:
        """Note a refused request (its blocked attempts and notices are written at the seal)."""
        unit.changes.refused.append(Refused(request, decision))

    async def release(
        self, unit: Unit, records: Sequence[ClaimRecord], reason: str
    ) -> list[ClaimRecord]:
        """End active claims (`released`, `expired`, `idle`, ...); returns those it ended."""
        by_repo: dict[str, list[ClaimRecord]] = {}
        for record in records:
            if record.id in unit.view(record.repo).claims:
                by_repo.setdefault(repo_key(record.repo), []).append(record)
        ended: list[ClaimRecord] = []
        event_type = EventType.CLAIM_RELEASED if reason == "released" else EventType.CLAIM_EXPIRED
        for key, batch in by_repo.items():
            view = unit.views[key]
            unit.changing(view)
            await self.store.claims.release(unit.tx, key, [r.id for r in batch], unit.now, reason)
            for record in batch:
                view.remove(record.id)
                record.released_at = unit.now
                unit.events.claim(event_type, record, reason=reason)
            unit.changes.unblocked.add(key)
            ended += batch
        if ended:
            unit.changes.released.append(Released(ended, reason))
        return ended

    async def update(self, unit: Unit, record: ClaimRecord, **values: Any) -> None:
        """Change columns of an active claim, in the database and in the view."""
        view = unit.view(record.repo)
        unit.changing(view)
        stored = {
            name: (str(value) if name == "severity" else value) for name, value in values.items()
        }
        await self.store.claims.update(unit.tx, view.key, record.id, **stored)
        for name, value in values.items():
            setattr(record, name, value)
        if "expires_at" in values:
            unit.changes.deadlines.append(values["expires_at"])

    async def extend(self, unit: Unit, record: ClaimRecord, expires_at: datetime) -> None:
        """Give an active claim a new expiry (counted as activity)."""
        await self.update(unit, record, expires_at=expires_at, last_activity=unit.now)


def _record(
    request: ClaimRequest, grant: Grant, context: GrantContext, now: datetime, fence: int
) -> ClaimRecord:
    return ClaimRecord(
        id=new_id("clm"),
        repo=request.repo,
        engineer=request.engineer,
        claim_type=grant.item.type,
        pattern=grant.item.pattern,
        symbols=grant.item.symbols,
        narrowable=grant.narrowable,
        shared=grant.shared,
        severity=grant.severity,
        session_id=request.session_id,
        fence=fence,
        created_at=now,
        expires_at=grant.expires_at,
        branch=context.branch,
        description=context.description,
        coexists_with=list(grant.coexists_with),
        last_activity=now,
    )


def _partner_links(grants: Sequence[Grant], records: Sequence[ClaimRecord]) -> dict[str, list[str]]:
    """For each existing claim a new grant coexists with, the new ids to add to it."""
    links: dict[str, list[str]] = {}
    for grant, record in zip(grants, records, strict=True):
        for partner_id in grant.coexists_with:
            links.setdefault(partner_id, []).append(record.id)
    return links


def _grant_events(
    events: EventBatch, grant: Grant, record: ClaimRecord, context: GrantContext
) -> None:
    kind = EventType.QUEUE_GRANT if context.queue_id else EventType.CLAIM_GRANTED
    events.claim(kind, record, queue_id=context.queue_id, shared=record.shared)
    if context.queue_id:
        events.claim(EventType.CLAIM_GRANTED, record, queue_id=context.queue_id)
    for partner in grant.coexisting:
        events.claim(EventType.AUTO_COEXIST, record, partner_claim_id=partner.id,
                     partner_engineer=partner.engineer)  # fmt: skip
    for narrow in grant.narrowed:
        events.claim(EventType.AUTO_NARROW, record, holder_claim_id=narrow.holder.id,
                     holder_engineer=narrow.holder.engineer,
                     narrowed_symbols=list(narrow.symbols))  # fmt: skip
