"""owners.yaml held in the database: the rules every decision uses, in force at once (SPEC §8).

The document is stored as text, exactly as uploaded or edited, one row per revision; the newest
is in force. Putting a revision in force reclassifies the active claims of every repo (shared
status and severity) in the same unit that stores it, holding every repo with active claims,
so a file promoted to `shared_files` stops producing 409s with the very next request, on every
replica, and every claim and conflict reports the severity of the current areas.

A claim that became shared stays shared until it ends, even if a later revision drops the entry:
its holder and the other holders were granted side by side, and turning them exclusive again
would leave two overlapping exclusive claims that no decision allowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from coord_engine.claims import Policy
from coord_engine.decide import severity_for, shared_entry_for
from coord_engine.owners import OwnersConfig, OwnersError, parse_owners
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import ClaimType, Severity
from coord_server.service.arbiter import Arbiter, Unit
from coord_server.service.claims import ClaimBook
from coord_server.service.policy import PolicyHolder, with_rules
from coord_server.service.records import ClaimRecord

Reclassified = tuple[ClaimRecord, bool, Severity]
"""An active claim and the `shared` flag and severity it gets under a new revision."""

Announce = Callable[[Unit], None]
"""Adds the events that explain a new revision (auto-promote, ...) to its unit."""


def invalid_ownership(error: OwnersError) -> CoordError:
    """The 400 answer for a document that breaks an owners.yaml rule (line and rule named)."""
    return CoordError(
        ErrorCode.INVALID_OWNERSHIP,
        f"owners.yaml refused: {error.message}",
        line=error.line,
        rule=str(error.rule),
    )


class Ownership:
    """Storing revisions of owners.yaml and putting them in force."""

    def __init__(self, arbiter: Arbiter, book: ClaimBook, policy: PolicyHolder) -> None:
        self.arbiter = arbiter
        self.book = book
        self.policy = policy

    @property
    def text(self) -> str:
        """The document in force."""
        return self.policy.text

    @property
    def config(self) -> OwnersConfig:
        """The document in force, parsed."""
        return self.policy.config

    async def load(self) -> None:
        """Put the newest stored revision in force (at start)."""
        row = await self.arbiter.store.ownership.newest()
        if row is not None:
            await self.policy.ensure(row["id"])

    async def upload(self, text: str) -> tuple[OwnersConfig, int]:
        """Validate and store an uploaded document; returns it parsed and the claims changed."""
        try:
            # Parsing a large document takes a while in PyYAML's pure-Python composer: in a
            # thread, so other requests keep being served meanwhile.
            config = await asyncio.to_thread(parse_owners, text)
        except OwnersError as exc:
            raise invalid_ownership(exc) from None
        return config, await self.replace(text, config, "upload")

    async def replace(
        self, text: str, config: OwnersConfig, source: str, announce: Announce | None = None
    ) -> int:
        """Store `text` (already parsed as `config`) and put it in force; returns how many
        active claims changed `shared` or severity."""
        repos = await self._repos_holding_claims()
        policy = with_rules(self.policy.policy, config)
        before = (self.policy.text, self.policy.config, self.policy.revision)
        try:
            async with self.arbiter.hold(repos) as unit:
                store = self.arbiter.store
                await store.ownership.insert(unit.tx, text, source, unit.now)
                revision = await store.ownership.newest_id_in(unit.tx)
                changed = await self._reclassify(unit, policy)
                if announce is not None:
                    announce(unit)
                # In force before the steps after the commit run: the queues they serve must
                # be decided under the new rules.
                self.policy.adopt(text, config, revision)
        except BaseException:
            self.policy.adopt(*before)
            raise
        return changed

    async def _repos_holding_claims(self) -> list[str | None]:
        stored = set(await self.arbiter.store.claims.active_repos())
        held = {key for key, view in self.arbiter.views.items() if view.claims}
        return [key or None for key in sorted(stored | held)] or [None]

    async def _reclassify(self, unit: Unit, policy: Policy) -> int:
        changes = reclassify(
            (record for view in unit.views.values() for record in list(view.records())), policy
        )
        for record, shared, severity in changes:
            if shared and not record.shared:
                unit.changes.unblocked.add(unit.view(record.repo).key)
            await self.book.update(unit, record, shared=shared, severity=severity)
        return len(changes)


def reclassify(records: Iterable[ClaimRecord], policy: Policy) -> list[Reclassified]:
    """Active claims whose `shared` flag or severity differ under `policy` (shared is sticky)."""
    changes: list[Reclassified] = []
    for record in records:
        shared = (
            record.shared
            or record.claim_type is ClaimType.SHARED_FILE
            or shared_entry_for(record.pattern, policy) is not None
        )
        severity = severity_for(record.pattern, policy)
        if shared != record.shared or severity is not record.severity:
            changes.append((record, shared, severity))
    return changes
