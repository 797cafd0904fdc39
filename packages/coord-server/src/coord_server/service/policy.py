"""The decision policy in force: the settings, and the rules of the owners.yaml revision in force.

Every replica decides with the newest revision: a unit reads the revision number under its repo
lock, and a replica that is behind reads the document again before deciding, so an edit made on
one replica takes effect on all of them at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from coord_engine.claims import Policy
from coord_engine.owners import OwnersConfig, OwnersError, parse_owners
from coord_server.storage import Store

logger = logging.getLogger("coord.ownership")


class PolicyHolder:
    """The policy, the owners.yaml text and its parse, and which revision they came from."""

    def __init__(self, store: Store, base: Policy) -> None:
        self.store = store
        self.policy = base
        self.text = ""
        self.config = OwnersConfig()
        self.revision = 0

    async def ensure(self, revision: int | None) -> None:
        """Read the document again when `revision` (read under a lock) is not the one in force
        (None: this process is the only writer, so its revision is the newest)."""
        if revision is None or revision == self.revision:
            return
        row = await self.store.ownership.newest()
        if row is None:
            return
        try:
            config = await asyncio.to_thread(parse_owners, row["text"])  # as on upload
        except OwnersError:
            # Only a change of the format's rules can get here (every revision was checked when
            # stored); coordinating without the rules beats not coordinating at all.
            logger.exception("the stored owners.yaml no longer parses; upload a corrected one")
            config = OwnersConfig()
        self.adopt(row["text"], config, row["id"])

    def adopt(self, text: str, config: OwnersConfig, revision: int) -> None:
        """Put a document in force (after its revision committed)."""
        self.text, self.config, self.revision = text, config, revision
        self.policy = with_rules(self.policy, config)


def with_rules(policy: Policy, config: OwnersConfig) -> Policy:
    """`policy` with the shared files and hard areas of `config`."""
    return replace(
        policy, shared_patterns=config.shared_patterns(), hard_patterns=config.hard_patterns()
    )
