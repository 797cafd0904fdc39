"""Service-wide facts for `/repos`, `/readyz` and the metrics gauges."""

from __future__ import annotations

from coord_protocol.service import RepoActivity, RepoList
from coord_server.service.arbiter import Arbiter
from coord_server.storage import Store


class Overview:
    """Per-repo activity, readiness, and the counts the gauges show."""

    def __init__(self, store: Store, arbiter: Arbiter) -> None:
        self.store = store
        self.arbiter = arbiter

    async def ping(self) -> None:
        """Raise when the database does not answer."""
        await self.store.db.ping()

    async def repos(self) -> RepoList:
        """Activity per repo bucket, busiest first."""
        views = {view.key: view for view in await self.arbiter.all_current()}
        last = await self.store.claims.last_activity_by_repo()
        rows = []
        for key in set(views) | set(last):
            view = views.get(key)
            engineers = [record.engineer for record in view.records()] if view else []
            if not engineers and key not in last:
                continue
            rows.append(
                RepoActivity(
                    repo=key or None,
                    active_claims=len(engineers),
                    engineers=len(set(engineers)),
                    queue_depth=len(view.waiters) if view else 0,
                    last_activity=last.get(key),
                )
            )
        rows.sort(key=lambda row: (-row.active_claims, row.repo or ""))
        return RepoList(repos=rows, count=len(rows))

    def active_claims(self) -> int:
        """Active claims in this replica's views."""
        return sum(len(view.claims) for view in self.arbiter.views.values())

    def queue_depth(self) -> int:
        """Waiting entries in this replica's views."""
        return sum(len(view.waiters) for view in self.arbiter.views.values())
