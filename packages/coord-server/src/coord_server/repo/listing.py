"""The tracked files of one checkout, listed by `git ls-files` and cached.

The listing serves scope limits, zero-match warnings and the `overlap` file lists (SPEC §3,
§4.3); grant and conflict decisions never depend on it. docs/repo-awareness.md has the details.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

from coord_protocol.git import GitUnavailableError, run_git_bytes
from coord_server.repo.tracked import TrackedFiles

_log = logging.getLogger(__name__)

GIT_TIMEOUT_SEC = 60.0
"""A listing that takes longer is abandoned (a hung network filesystem must not pile up runs)."""


class _ListingError(Exception):
    """`git ls-files` could not produce a listing; the message says why."""


class RepoFiles:
    """Snapshots of the tracked files under `root`, refreshed at most once per `cache_ttl_sec`.

    `scope` restricts the view to one subdirectory; listed paths stay relative to `root`.
    """

    def __init__(
        self,
        root: Path,
        scope: str | None,
        cache_ttl_sec: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._root = root
        self._scope = _clean_scope(scope)
        self._ttl = cache_ttl_sec
        self._clock = clock
        self._current: TrackedFiles | None = None
        self._listing: bytes | None = None
        """Digest of the listing `_current` was built from (the listing itself is megabytes)."""
        self._fresh_until = -math.inf
        self._refresh: asyncio.Task[TrackedFiles | None] | None = None
        self._absence_logged = False

    @property
    def scoped(self) -> bool:
        """True when the view is restricted to a subdirectory (the ratio limit is then off)."""
        return self._scope is not None

    def is_checkout(self) -> bool:
        """True when `root` is the top of a git checkout (it holds a `.git` entry)."""
        return (self._root / ".git").exists()

    async def snapshot(self) -> TrackedFiles | None:
        """The current tracked files, or None when `root` is not a git checkout.

        A listing younger than the TTL is reused; concurrent callers share one `git` run, and a
        caller that is cancelled does not cancel the run the others wait for. When `git` fails
        the previous snapshot keeps being served (None if there was none) until the next try,
        one TTL later.
        """
        if self._clock() < self._fresh_until:
            return self._current
        if self._refresh is None:
            self._refresh = asyncio.create_task(self._reload())
        return await asyncio.shield(self._refresh)

    async def _reload(self) -> TrackedFiles | None:
        try:
            if not self.is_checkout():
                self._note_absent()
                self._current, self._listing = None, None
            else:
                await self._relist()
            return self._current
        finally:
            self._fresh_until = self._clock() + self._ttl
            self._refresh = None

    async def _relist(self) -> None:
        try:
            listing = await _ls_files(self._root, self._scope)
        except _ListingError as error:
            kept = "keeping the previous listing" if self._current is not None else "no listing yet"
            _log.warning("git ls-files failed in %s (%s): %s", self._root, kept, error)
            return
        self._absence_logged = False
        digest = hashlib.blake2b(listing, digest_size=16).digest()
        if digest == self._listing:
            return
        # Building the index of a large repository takes a noticeable fraction of a second;
        # a worker thread keeps the event loop answering requests meanwhile.
        self._current = await asyncio.to_thread(_tracked_files, listing)
        self._listing = digest
        if self._scope and not self._current.total:
            _log.warning("COORD_REPO_SCOPE=%s holds no tracked file in %s", self._scope, self._root)

    def _note_absent(self) -> None:
        if not self._absence_logged:
            _log.warning(
                "checkout %s is not a git checkout (no .git there): scope limits, "
                "zero-match warnings and tracked-file overlap lists are off until it is one",
                self._root,
            )
            self._absence_logged = True


def _clean_scope(scope: str | None) -> str | None:
    cleaned = (scope or "").strip().replace("\\", "/").strip("/")
    return cleaned or None


def _tracked_files(listing: bytes) -> TrackedFiles:
    # Paths that are not valid UTF-8 are kept readable; they can only appear in overlap lists.
    return TrackedFiles(listing.decode("utf-8", "replace").split("\0"))


async def _ls_files(root: Path, scope: str | None) -> bytes:
    """The NUL-separated `git ls-files` listing of `root` (within `scope` when given).

    git runs as a reader of data (`coord_protocol.git`): none of the server's settings or
    secrets in its environment, and nothing the checkout's configuration names is started.
    """
    command = ["--literal-pathspecs", "ls-files", "-z"]
    if scope:
        command += ["--", scope]
    try:
        status, out, err = await run_git_bytes(root, *command, timeout=GIT_TIMEOUT_SEC)
    except GitUnavailableError as error:
        raise _ListingError(str(error)) from error
    if status != 0:
        detail = err.decode("utf-8", "replace").strip() or f"exit status {status}"
        raise _ListingError(detail)
    return out
