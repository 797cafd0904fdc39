"""owners.yaml held in the database: the rules every decision uses, in force at once (SPEC §8).

The document is stored as text, exactly as uploaded or edited, one row per revision; the newest
is in force. Putting a revision in force rebuilds the decision policy (shared files and hard
areas) and reclassifies the active claims in the same transaction, so a file promoted to
`shared_files` stops producing 409s with the very next request, and every claim and conflict
reports the severity of the current areas.

A claim that became shared stays shared until it ends, even if a later revision drops the entry:
its holder and the other holders were granted side by side, and turning them exclusive again
would leave two overlapping exclusive claims that no decision allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from coord_engine.claims import Policy
from coord_engine.decide import severity_for, shared_entry_for
from coord_engine.owners import OwnersConfig, OwnersError, parse_owners
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import ClaimType, Severity
from coord_server.service.claims import ClaimService
from coord_server.service.events import EventBatch
from coord_server.service.records import ClaimRecord

logger = logging.getLogger("coord.ownership")

Reclassified = tuple[ClaimRecord, bool, Severity]
"""An active claim and the `shared` flag and severity it gets under a new revision."""


def invalid_ownership(error: OwnersError) -> CoordError:
    """The 400 answer for a document that breaks an owners.yaml rule (line and rule named)."""
    return CoordError(
        ErrorCode.INVALID_OWNERSHIP,
        f"owners.yaml refused: {error.message}",
        line=error.line,
        rule=str(error.rule),
    )


class Ownership:
    """The owners.yaml revision in force, and the policy built from it."""

    def __init__(self, claims: ClaimService) -> None:
        self.claims = claims
        self.text = ""
        self.config = OwnersConfig()

    def load(self) -> None:
        """Put the newest stored revision in force (without storing it again)."""
        row = self.claims.store.ownership_document()
        if row is None:
            return
        try:
            config = parse_owners(row["text"])
        except OwnersError:
            # Only a change of the format's rules can get here (every revision was checked when
            # stored); coordinating without the rules beats not starting at all.
            logger.exception("the stored owners.yaml no longer parses; upload a corrected one")
            return
        self._put_in_force(row["text"], config, source=None, events=None)

    def upload(self, text: str) -> tuple[OwnersConfig, int]:
        """Validate and store an uploaded document; returns it parsed and the claims changed."""
        try:
            config = parse_owners(text)
        except OwnersError as exc:
            raise invalid_ownership(exc) from None
        return config, self.replace(text, config, "upload")

    def replace(
        self, text: str, config: OwnersConfig, source: str, events: EventBatch | None = None
    ) -> int:
        """Store `text` (already parsed as `config`) and put it in force, with `events` in the
        same transaction; returns how many active claims changed `shared` or severity."""
        return self._put_in_force(text, config, source, events)

    def _put_in_force(
        self, text: str, config: OwnersConfig, source: str | None, events: EventBatch | None
    ) -> int:
        policy = replace(
            self.claims.policy,
            shared_patterns=config.shared_patterns(),
            hard_patterns=config.hard_patterns(),
        )
        changes = reclassify(self.claims.state.claims.values(), policy)
        now = self.claims.clock()
        if source is not None or changes:
            with self.claims.store.transaction() as tx:
                if source is not None:
                    tx.insert_ownership_document(text, source, now)
                for record, shared, severity in changes:
                    tx.update_claim(record.id, shared=shared, severity=str(severity))
                if events is not None:
                    tx.insert_events(events.rows)
        self.text, self.config = text, config
        self.claims.policy = policy
        unblocked: set[str | None] = set()
        for record, shared, severity in changes:
            if shared and not record.shared:
                unblocked.add(record.repo)
            record.shared, record.severity = shared, severity
        if unblocked:
            self.claims.announce(unblocked)  # waiters behind a now-shared claim may go ahead
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
