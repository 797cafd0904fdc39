"""`POST /claims` as one service call: decide, grant or park, wait, decide again (SPEC §4, §6).

The route parses the body and renders the `ClaimOutcome`; everything between happens here. The
decision and the grant (or the parking) share one unit, so nobody decides for the repo in
between; a parked request waits outside any lock, and comes back with how its wait ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from coord_engine.claims import ClaimRequest
from coord_engine.decide import Decision
from coord_protocol.claims import CreateClaimsRequest
from coord_protocol.conflicts import Conflict
from coord_protocol.vocab import QueueState
from coord_server.repo import ScopeChecker, ScopeReport
from coord_server.service.arbiter import Arbiter
from coord_server.service.changes import WaitEnded
from coord_server.service.claims import ClaimBook
from coord_server.service.convert import engine_request, next_step, wire_conflicts
from coord_server.service.queue import QueueDesk
from coord_server.service.records import ClaimRecord, GrantContext
from coord_server.service.view import Waiter


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """How a claim request ended, ready to render: granted (200), refused (409), or gone."""

    granted: bool
    records: tuple[ClaimRecord, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    queue_id: str | None = None
    next_step: str | None = None
    caller_gone: bool = False
    """The caller hung up while waiting: nobody reads the answer."""


@dataclass(slots=True)
class _Attempt:
    request: ClaimRequest
    report: ScopeReport
    context: GrantContext
    outcome: ClaimOutcome | None = None
    waiter: Waiter | None = None
    warnings: list[str] = field(default_factory=list)


class Claiming:
    """The claim workflow."""

    def __init__(
        self, arbiter: Arbiter, book: ClaimBook, desk: QueueDesk, scope: ScopeChecker
    ) -> None:
        self.arbiter = arbiter
        self.book = book
        self.desk = desk
        self.scope = scope

    async def claim(
        self, body: CreateClaimsRequest, engineer: str, hang_up: Callable[[], Awaitable[object]]
    ) -> ClaimOutcome:
        """Grant the batch, refuse it with the conflicts, or queue it and wait."""
        request = engine_request(body, engineer)
        report = await self.scope.check(request)
        if request.repo is None:
            report.warnings.extend(await self._bucket_warnings())
        context = GrantContext(branch=body.branch, description=body.description)
        attempt = _Attempt(request, report, context)
        try:
            await self._decide(attempt, body)
        except BaseException:
            if attempt.waiter is not None:
                self.desk.forget(attempt.waiter.queue_id)
            raise
        if attempt.outcome is not None:
            return attempt.outcome
        assert attempt.waiter is not None
        ended = await self.desk.wait(attempt.waiter, body.wait_seconds, hang_up)
        if ended is None:
            return ClaimOutcome(granted=False, caller_gone=True)
        return await self._after_wait(attempt, ended)

    async def _bucket_warnings(self) -> list[str]:
        """A claim without `repo` never meets the claims of named repos: say so when there are."""
        named = sorted(repo for repo in await self.book.store.claims.active_repos() if repo)
        if not named:
            return []
        shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        return [
            f"this claim names no repo, so it is held in the no-repo bucket and never conflicts "
            f'with claims in {shown}; send "repo": "owner/name" (the repo id of your '
            "checkout, COORD_REPO_ID in .coordination/local.env) to claim in that repo"
        ]

    async def _decide(self, attempt: _Attempt, body: CreateClaimsRequest) -> None:
        request = attempt.request
        async with self.arbiter.hold([request.repo]) as unit:
            decision = await self.book.decide(unit, request, metered=True)
            if decision.granted:
                records = await self.book.grant(unit, request, decision, attempt.context)
                attempt.outcome = _granted(records, decision, attempt.report)
                return
            if body.wait_seconds > 0:
                # Under the repo's lock, so a burst on one repo cannot slip past the caps; and
                # only for a request that would wait, so a grantable one is never refused.
                await self.desk.check_caps(request.engineer)
            self.book.refuse(unit, request, decision)
            if body.wait_seconds > 0:
                attempt.waiter = await self.desk.park(
                    unit, request, attempt.context, body.wait_seconds, body.urgency
                )
                return
            conflicts = wire_conflicts(
                decision.conflicts, unit.view(request.repo).claims, attempt.report.overlap
            )
            attempt.outcome = _refused(conflicts, [*decision.warnings], attempt.report)

    async def _after_wait(self, attempt: _Attempt, ended: WaitEnded) -> ClaimOutcome:
        queue_id = ended.queue_id
        if ended.state is QueueState.GRANTED:
            return ClaimOutcome(
                granted=True,
                records=ended.records,
                warnings=(*attempt.report.warnings, *ended.warnings),
                notices=ended.notices,
                queue_id=queue_id,
            )
        conflicts = await self.current_conflicts(attempt.request, attempt.report)
        why = (
            f"queue entry {queue_id} was cancelled before it was granted."
            if ended.state is QueueState.CANCELLED
            else None
        )
        return _refused(conflicts, [*([why] if why else [])], attempt.report, queue_id, why)

    async def current_conflicts(self, request: ClaimRequest, report: ScopeReport) -> list[Conflict]:
        """What blocks `request` right now (read-only)."""
        async with self.arbiter.hold([request.repo]) as unit:
            decision = await self.book.decide(unit, request)
            return wire_conflicts(
                decision.conflicts, unit.view(request.repo).claims, report.overlap
            )


def _granted(records: list[ClaimRecord], decision: Decision, report: ScopeReport) -> ClaimOutcome:
    return ClaimOutcome(
        granted=True,
        records=tuple(records),
        warnings=(*report.warnings, *decision.warnings),
        notices=tuple(notice for grant in decision.grants for notice in grant.notices),
    )


def _refused(
    conflicts: list[Conflict],
    warnings: list[str],
    report: ScopeReport,
    queue_id: str | None = None,
    why: str | None = None,
) -> ClaimOutcome:
    return ClaimOutcome(
        granted=False,
        conflicts=tuple(conflicts),
        warnings=(*report.warnings, *warnings),
        queue_id=queue_id,
        next_step=why or next_step(conflicts),
    )
